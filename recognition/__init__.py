"""Outside certificates: training done elsewhere, recognised as meeting a requirement for a set period."""

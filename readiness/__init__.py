"""Readiness: is a person cleared, due, overdue or expired for a requirement? Derived, never stored.

Above training and certificates, since the rule reads both (requirements and completions from
one, certificates from the other), and below reports, which counts it:
- readiness.rule: the rule for one person (`readiness_of`, My training through training's
  requirements hook) and for many in one SQL query (`readiness_rows`);
- readiness.report_sql: the same rule written for a mission's dashboard at 20,000 people.
Tests on generated data keep the three in step.
"""

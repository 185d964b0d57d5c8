"""Study without a connection: the service worker, the list of a course's pages to keep on the
device, and the JSON door through which answers kept on the device reach the server."""

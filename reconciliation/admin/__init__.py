"""Well's admin: the finance team's workplace. Importing the modules registers their pages."""

from reconciliation.admin import audit, banking, documents, vendors, workspaces  # noqa: F401

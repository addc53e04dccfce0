"""The audit-log viewer: filtered reading and export of the audit trail."""

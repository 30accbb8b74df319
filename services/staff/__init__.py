"""Staff: user accounts, site scope, the audit log of staff actions."""

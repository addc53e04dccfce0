"""Send-back (退回): a case returned to an earlier step with a reason (subscribed in app.capabilities)."""

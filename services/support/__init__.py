"""Follow-up support (后续扶持): responsibility (包保), visits (走访), the problem ledger (问题台账), monitoring (防返贫监测)."""

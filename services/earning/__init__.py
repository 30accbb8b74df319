"""Earning points: the rules catalog, evaluation rounds (五评五奖), volunteer activities, approvals and notices (公示)."""

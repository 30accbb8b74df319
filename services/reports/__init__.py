"""Reports: dashboards per site and county, the monthly report upward."""

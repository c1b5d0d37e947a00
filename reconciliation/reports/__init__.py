"""What Well reports to people: the daily digest and the decision log with the rules in force."""

"""The committee report (avvikelserapportering till nämnden): the month's missed targets, explained."""

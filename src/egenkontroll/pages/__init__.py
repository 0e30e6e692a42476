"""What every page shares: the frame, navigation, period form, tables, downloads, charts, the computed figures."""

"""The pages: översikt, arbetslista, ärende, flöde, handläggare, nyckeltal (docs/web.md)."""

"""Social listening: keyword / brand monitors over public X posts that do not tag us."""

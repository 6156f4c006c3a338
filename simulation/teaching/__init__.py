"""Teaching: rooms for a class (one shared model, teams on their own devices)."""

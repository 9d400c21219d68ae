"""`clinics serve`: a local preview of every digest that follows each save."""

"""Teams and tenant-defined roles (G2): administered here, carried in every token."""

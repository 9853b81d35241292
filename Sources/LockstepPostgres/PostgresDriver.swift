import CPostgreSQL
public import LockstepDatabase

// Placeholder: the libpq driver is being built (issue 4).

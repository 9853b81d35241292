import CMariaDB
public import LockstepDatabase

// Placeholder: the libmariadb driver is being built (issue 5).

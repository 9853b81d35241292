import LockstepMariaDB
import Testing

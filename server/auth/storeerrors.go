package auth

// The errors a [Store] returns, for implementations outside this package
// (server/pgstore): the same values [BuntStore] returns.

// ErrStore is AUTH_017: the store failed with err.
func ErrStore(err error) error { return errStore(err) }

// ErrUserNotFound is AUTH_014 for the user called name.
func ErrUserNotFound(name string) error { return errUserNotFound(name) }

// ErrUserExists is AUTH_013 for the user called name.
func ErrUserExists(name string) error { return errUserExists(name) }

// ErrRevoked is AUTH_005: the family was logged out or revoked.
func ErrRevoked() error { return errRevoked("the session was logged out or revoked") }

// ErrRefreshReuse is AUTH_010: a spent refresh token came back.
func ErrRefreshReuse() error {
	return newErr(CodeRefreshReuse, "the refresh token was already used; the session is revoked", "",
		"log in again; if you did not use this token twice, it may have been stolen")
}

// ErrSetupToken is AUTH_012, with details.
func ErrSetupToken(details string) error { return errSetupToken(details) }

// ErrLastAdmin is AUTH_019: changing before (the user called name) into
// after (nil: deleting it) would leave no enabled admin.
func ErrLastAdmin(name string, before, after *User) error {
	return errLastAdmin(name, change(before, after))
}

// IsAdmin reports whether u is an enabled admin, one who can manage users.
func IsAdmin(u *User) bool { return isAdmin(u) }

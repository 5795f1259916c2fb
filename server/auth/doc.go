// Package auth is authentication and authorization for the eBIOS server:
// users with roles, argon2id password hashes, JWT access and refresh tokens
// with rotation and reuse detection, revocation, the one-time setup token,
// and net/http middleware.
//
// # Roles and permissions
//
// Every user has one [Role]: guest, auditor, operator or admin. Handlers
// name a [Permission]; [Allowed] decides it from [Matrix], the seed's
// permission matrix as data:
//
//	permission          guest auditor operator admin
//	health                x      x       x      x
//	auth:self             x      x       x      x
//	ledger:read                  x       x      x
//	ledger:verify                x       x      x
//	ledger:verify:run                    x      x
//	policies:read                x       x      x
//	guard:read                   x       x      x
//	operations:execute                   x      x
//	policies:write                              x
//	users:manage                                x
//	metrics:read                                x
//	backup:run                                  x
//
// # Passwords
//
// Passwords are hashed with argon2id ([DefaultParams]: RFC 9106's second
// recommended option, m = 64 MiB, t = 3, p = 4, 16-byte salt, 32-byte tag)
// and stored in the PHC string format
// ($argon2id$v=19$m=65536,t=3,p=4$salt$hash); verification compares in
// constant time. The policy ([CheckPasswordPolicy]) asks for at least 12
// characters and refuses the placeholder passphrases of the instructions
// ([Placeholders], such as the setup hint's "A LONG PASSPHRASE", in any
// case and spacing). There are no default users or passwords: the first admin is
// made by `ebios user add` (which calls [Service.AddUser]) or with the
// one-time setup token ([Service.SetupToken], [Service.Setup]) that the
// server prints at a start when no enabled admin exists. Only the token's
// SHA-256 is stored; it is deleted in the transaction that creates the
// admin.
//
// # Logins
//
// An unknown user, a wrong password and a disabled account (even with the
// right password) get the same AUTH_008 after the same work: for an
// unknown user the password is verified against a dummy hash with the
// hasher's parameters. The real reason is in the [LoginError], for the
// server's log and the metrics only. Per account name, whether it exists
// or not, at most Options.LoginFailures (10) failed logins are evaluated in
// a window of Options.LoginWindow (15 minutes) opened by the first of
// them; later attempts in the window are refused with AUTH_020 (429, with
// the time to wait) without evaluating the password, from any client
// address. A lock thus ends at most one window after it began; a
// successful login, or a password reset, forgets the failures. The counts
// are kept in memory.
//
// # Accounts
//
// The last enabled admin can be neither disabled, demoted nor deleted
// (AUTH_019): the store checks it in the transaction of the change, so two
// admins removing each other at once leave one. [Service.DeleteUser]
// removes a user; their tokens stop working at once, and for the lifetime
// of a refresh token a user made under the same name starts at a higher
// generation, so the old tokens do not pass for the new user's.
//
// # Tokens
//
// Login returns an access token (15 minutes) and a refresh token (7 days),
// both HS256 JWTs signed with the server secret ([LoadOrCreateSecret]) and
// carrying sub, role, typ ("access" or "refresh"), jti, fid (family: one
// login and its refreshes), gen (the user's generation), iss, iat and exp.
// Parsing accepts HS256 only ("none" and every other algorithm are
// refused), checks the issuer, expiry and iat with a 30 s leeway, and the
// type: a refresh token is never an access token and the reverse.
//
// Refresh rotates: the presented refresh token is marked spent and a new
// pair in the same family is issued. Presenting a spent refresh token again
// revokes the whole family (AUTH_010), which ends the session of whoever
// holds the newer tokens too: one of the two parties is not the user.
// Logout revokes the family of the presented token. A password reset or
// disabling a user bumps the user's generation, which revokes every token
// issued before. The role is read from the store at every request, so a
// role change takes effect at once.
//
// # Storage
//
// [BuntStore] keeps users, the setup token and revocations in a BuntDB
// file of its own (DATA/users.db), with keys user:<name>, setup,
// revoked:<family>, spent:<jti> and deleted:<name>. Revocation and
// deletion keys expire (BuntDB TTL) when no token they concern can still be
// valid, so the file does not grow with the number of logins.
//
// # Errors
//
// Every error is a *nu.Error with category "auth" and a code AUTH_001 to
// AUTH_020; [HTTPStatus] maps codes to statuses and [WriteError] writes the
// JSON body {"error": {"code", "category", "message", "details",
// "remediation"}}. Options.OnFailure receives a [Reason] for each failure,
// for the ebios_auth_failures_total{reason} counter.
package auth

//go:build !wasm

package ledger

import (
	"crypto/ed25519"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// sign signs msg with curve25519-voi (see [Signer.Sign]).
func sign(priv ed25519.PrivateKey, msg []byte) []byte { return voi.Sign(voi.PrivateKey(priv), msg) }

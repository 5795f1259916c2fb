//go:build wasm

package ledger

import "crypto/ed25519"

// sign signs msg with crypto/ed25519 (see [Signer.Sign]).
func sign(priv ed25519.PrivateKey, msg []byte) []byte { return ed25519.Sign(priv, msg) }

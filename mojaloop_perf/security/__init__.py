"""Run-time security material: a per-run PKI (CA, TLS and JWS keys) and FSPIOP JWS signatures.

`pki` lays the keys and certificates out in a git-ignored state folder (made by `material`);
`jws` makes and checks `FSPIOP-Signature` headers exactly as Mojaloop's
`@mojaloop/sdk-standard-components` does, with `jwt` (jsonwebtoken's verify) and `js`
(JavaScript's JSON and string semantics) underneath.
"""

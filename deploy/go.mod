module paysuite/deploy

go 1.26.0

require (
	filippo.io/edwards25519 v1.1.0 // indirect
	github.com/compose-spec/compose-go/v2 v2.16.2 // indirect
	github.com/go-sql-driver/mysql v1.8.1 // indirect
)

module github.com/ebios/ebios

go 1.26.0

require (
	golang.org/x/mod v0.42.0
	pgregory.net/rapid v1.3.0
)

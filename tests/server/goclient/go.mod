module gopreflight.io/tests/server/goclient

go 1.21

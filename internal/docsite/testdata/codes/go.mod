module example.org/codes

go 1.26

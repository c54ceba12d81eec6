SELECT * -- \
'
FROM main.default.secret -- '
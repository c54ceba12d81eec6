SELECT * FROM main.narrow_a.t -- comment
JOIN main.default.secret
SELECT 'FROM fake' AS s, "JOIN fake2", r'FROM \d fake3' -- FROM fake4
FROM /* JOIN fake5 */ s.real
-- (the column was forgotten here)
SELECT 1;

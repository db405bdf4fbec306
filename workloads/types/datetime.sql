-- feature: Date, time and interval
-- area: Types
SELECT '2024-02-29'::date + 1, '2024-03-01'::date - '2024-02-01'::date;
SELECT '2024-01-15 10:30:00+02'::timestamptz, '2024-01-15 10:30:00'::timestamp;
SELECT interval '1 day 2 hours', interval '90 minutes', '1 month'::interval * 3;
SELECT date_trunc('month', timestamp '2024-05-17 13:45:00'), extract(dow FROM date '2024-05-17');
SELECT to_char(timestamp '2024-05-17 13:45:00', 'YYYY-MM-DD HH24:MI'), to_date('17/05/2024', 'DD/MM/YYYY');
SELECT '2023-02-29'::date;
SELECT timestamptz '2024-03-10 12:00:00+00' AT TIME ZONE 'America/New_York';
SELECT make_date(2024, 12, 31), make_interval(days => 10), age(timestamp '2024-05-01', timestamp '2023-01-15');
SELECT 'infinity'::timestamp, '-infinity'::date;
SELECT time '23:59:59.999999' + interval '1 microsecond', timetz '12:00:00+05';

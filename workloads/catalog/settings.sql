-- feature: SET, SHOW and settings
-- area: Catalog
SHOW TimeZone;
SHOW DateStyle;
SHOW IntervalStyle;
SHOW standard_conforming_strings;
SHOW client_encoding;
SHOW server_encoding;
SHOW no_such_setting;
SET search_path TO public;
SELECT current_setting('bytea_output'), current_setting('extra_float_digits');
SET work_mem = '8MB';
SHOW work_mem;
SET work_mem = 'lots';
RESET work_mem;
SELECT set_config('application_name', 'probe', false);

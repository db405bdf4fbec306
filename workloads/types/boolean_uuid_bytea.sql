-- feature: boolean, uuid, bytea, network and geometric types
-- area: Types
SELECT true, 'yes'::boolean, 'off'::boolean, 't'::boolean AND NULL;
SELECT 'maybe'::boolean;
SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, 'A0EEBC999C0B4EF8BB6D6BB9BD380A11'::uuid;
SELECT 'not-a-uuid'::uuid;
SELECT '\xdeadbeef'::bytea, 'abc'::bytea, decode('aGVsbG8=', 'base64'), encode('hello'::bytea, 'hex');
SELECT md5('hello'), sha256('hello'::bytea);
SELECT '192.168.1.0/24'::cidr, '10.0.0.1'::inet << '10.0.0.0/8'::inet;
SELECT '(1,2)'::point, box '((0,0),(1,1))';
SELECT 42::money;

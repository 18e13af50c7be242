-- SPDX-License-Identifier: Apache-2.0
-- imapfilter.lua - the imapfilter peer of tests/bench/imap.sh (issue 10):
-- a subject-only sort of the BALP inbox into two folders, as a Caf could
-- write it without balp.  Subject contains "RIB" -> BALP/RIB, the rest ->
-- BALP/Rejets.  No authentication, annex, NIR or attachment check.
--
--   BENCH_IMAP_HOST=127.0.0.1 BENCH_IMAP_PORT=143 BENCH_IMAP_USER=balp@caf.test \
--   BENCH_IMAP_PASS_FILE=... imapfilter -c tests/bench/imapfilter.lua
--
-- Plain IMAP on loopback (starttls off: imapfilter would otherwise
-- negotiate it and ask about the harness's certificate).  contain_subject
-- is a server-side UID SEARCH; move_messages is what imapfilter does to
-- move (see its log in Dovecot's: COPY, STORE \Deleted and EXPUNGE, or
-- MOVE when it uses it).

options.timeout = 120
options.starttls = false
options.certificates = false
options.create = true
options.subscribe = true
options.expunge = true
options.info = false

local function env(name)
	local v = os.getenv(name)
	if v == nil or v == '' then
		error(name .. ' is not set')
	end
	return v
end

local f = assert(io.open(env('BENCH_IMAP_PASS_FILE'), 'r'))
local password = f:read('*a'):gsub('[\r\n]+$', '')
f:close()

local balp = IMAP {
	server = env('BENCH_IMAP_HOST'),
	port = tonumber(env('BENCH_IMAP_PORT')),
	username = env('BENCH_IMAP_USER'),
	password = password,
}

local rib = balp.INBOX:contain_subject('RIB')
rib:move_messages(balp['BALP/RIB'])
local rest = balp.INBOX:select_all()
rest:move_messages(balp['BALP/Rejets'])

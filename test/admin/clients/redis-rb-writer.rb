# redis-rb (Debian's ruby-redis 4.8) in Sentinel mode, written as its users
# write it, as the acknowledged-write loop of test/admin/redis-rb.test.ts.
#
#   ruby redis-rb-writer.rb <master-name> <host:port,host:port,...> <key-prefix> <wait-timeout-ms>
#
# Unique keys <prefix><n> get the value v:<key> with SET, then WAIT 1 <timeout>.
# One line on stdout per attempt, for the test to parse:
#   ack <key> <port> <ms>        WAIT reported >= 1 replica: the write is acknowledged
#   unacked <key> <port> <ms>    WAIT reported 0: written, but not promised to survive
#   error <ms> <class>: <text>   the attempt failed (no key is claimed)
# <ms> is the wall clock in milliseconds when the attempt ended; <port> is the
# redis the client was connected to. The loop ends when stdin closes.
require 'redis'

master, sentinel_list, prefix, wait_ms = ARGV
abort "usage: #{$PROGRAM_NAME} master host:port,... prefix wait-timeout-ms" unless wait_ms
sentinels = sentinel_list.split(',').map do |addr|
  host, port = addr.split(':')
  { host: host, port: Integer(port) }
end

$stdout.sync = true
stop = false
# The test closes stdin to end the loop; the write in flight finishes first.
Thread.new do
  $stdin.read
  stop = true
end

def now_ms
  Process.clock_gettime(Process::CLOCK_REALTIME, :millisecond)
end

# The client as its README shows it: the master name in the URL, the sentinels
# beside it, role :master. Everything else is redis-rb's default.
redis = Redis.new(url: "redis://#{master}", sentinels: sentinels, role: :master)

n = 0
until stop
  key = "#{prefix}#{n}"
  n += 1
  begin
    redis.set(key, "v:#{key}")
    copies = redis.call('WAIT', 1, Integer(wait_ms))
    port = redis._client.port
    puts "#{copies >= 1 ? 'ack' : 'unacked'} #{key} #{port} #{now_ms}"
  rescue Redis::BaseError => e
    # Connection errors (the primary died, the sidecar closed a demoted primary's
    # clients) and error replies (READONLY) alike: redis-rb asks the sentinels
    # again when it reconnects, so the loop just carries on.
    puts "error #{now_ms} #{e.class}: #{e.message.tr("\n", ' ')}"
    sleep 0.02
  end
end
redis.close

<?php
// phpredis (Debian's php-redis 5.3) with its RedisSentinel class, written as
// its users write it, as the acknowledged-write loop of test/admin/phpredis.test.ts.
//
//   php phpredis-writer.php <master-name> <host:port,host:port,...> <key-prefix> <wait-timeout-ms>
//
// phpredis has no Sentinel-aware connection: the application asks a sentinel
// for the master (RedisSentinel::getMasterAddrByName), connects a plain Redis
// to it, and asks again when a write fails. That is this loop.
//
// Unique keys <prefix><n> get the value v:<key> with SET, then WAIT 1 <timeout>.
// One line on stdout per attempt, for the test to parse:
//   ack <key> <port> <ms>        WAIT reported >= 1 replica: the write is acknowledged
//   unacked <key> <port> <ms>    WAIT reported 0: written, but not promised to survive
//   error <ms> <class>: <text>   the attempt failed (no key is claimed)
// <ms> is the wall clock in milliseconds when the attempt ended; <port> is the
// redis the client was connected to. The loop ends when stdin closes.

if ($argc !== 5) {
    fwrite(STDERR, "usage: php {$argv[0]} master host:port,... prefix wait-timeout-ms\n");
    exit(2);
}
[, $master, $sentinelList, $prefix, $waitMs] = $argv;
$waitMs = (int) $waitMs;
$sentinels = array_map(fn (string $a): array => explode(':', $a, 2), explode(',', $sentinelList));

function now_ms(): int
{
    return (int) floor(microtime(true) * 1000);
}

/** The master's [host, port] from the first sentinel that knows it, or null. */
function master_addr(array $sentinels, string $master): ?array
{
    foreach ($sentinels as [$host, $port]) {
        try {
            // 0.5 s to connect and 0.5 s to read: without a read timeout a sentinel address that
            // accepts but never answers (a frozen host, or its port taken by another process) holds
            // this call for PHP's default_socket_timeout, 60 s.
            $sentinel = new RedisSentinel($host, (int) $port, 0.5, null, 0, 0.5);
            $addr = $sentinel->getMasterAddrByName($master);
            // No master known (none elected yet) is an empty array, not false.
            if (is_array($addr) && count($addr) === 2) {
                return $addr;
            }
        } catch (RedisException $e) {
            // This sentinel is down or unreachable: ask the next one.
        }
    }
    return null;
}

/** True once stdin is closed (the test's signal to stop). */
function stdin_closed(): bool
{
    $read = [STDIN];
    $none = [];
    if (stream_select($read, $none, $none, 0) > 0) {
        return fgets(STDIN) === false && feof(STDIN);
    }
    return false;
}

$redis = null;
$port = 0;
$n = 0;
while (!stdin_closed()) {
    if ($redis === null) {
        $addr = master_addr($sentinels, $master);
        if ($addr === null) {
            echo 'error ', now_ms(), " NoMaster: no sentinel named a master\n";
            usleep(20000);
            continue;
        }
        try {
            $redis = new Redis();
            // 0.5 s to connect, 2 s to read a reply (phpredis' default read timeout is PHP's 60 s).
            $redis->connect($addr[0], (int) $addr[1], 0.5, null, 0, 2);
            $port = (int) $addr[1];
        } catch (RedisException $e) {
            echo 'error ', now_ms(), ' ', get_class($e), ': ', $e->getMessage(), "\n";
            $redis = null;
            usleep(20000);
            continue;
        }
    }
    $key = $prefix . $n++;
    try {
        // phpredis throws RedisException for some error replies (READONLY,
        // NOREPLICAS) but returns false for others (ERR ...), with the reason
        // in getLastError(): both are failed writes.
        if ($redis->set($key, "v:$key") !== true) {
            throw new RuntimeException('SET failed: ' . ($redis->getLastError() ?? 'no reason given'));
        }
        $copies = $redis->rawCommand('WAIT', 1, $waitMs);
        if (!is_int($copies)) {
            throw new RuntimeException('WAIT failed: ' . ($redis->getLastError() ?? 'no reason given'));
        }
        echo $copies >= 1 ? 'ack' : 'unacked', " $key $port ", now_ms(), "\n";
    } catch (RedisException | RuntimeException $e) {
        // The primary died, the sidecar closed a demoted primary's clients, or
        // this redis is a replica now: ask the sentinels again.
        echo 'error ', now_ms(), ' ', get_class($e), ': ', str_replace("\n", ' ', $e->getMessage()), "\n";
        try {
            $redis->close();
        } catch (RedisException $ignored) {
        }
        $redis = null;
        usleep(20000);
    }
}

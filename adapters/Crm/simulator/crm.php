<?php
// Legacy CRM simulator: a router script for PHP's built-in server that answers like the customer's CRM does,
// with PHP serialize() output.
//
//   php -S 127.0.0.1:PORT adapters/Crm/simulator/crm.php
//
//   GET /health            200 "ok"
//   GET /customers/{id}    200, serialize() of a customer record generated from the id (same id, same record)
//                          404 for ids starting with "unknown"
//                          500 for ids starting with "fail" (the CRM's own error page)
//                          200 with a truncated record for ids starting with "broken"
//   POST /__fault?delayMs=D&status=S&seconds=N
//                          loopback callers only (403 otherwise): for N seconds every /customers answer is D ms late
//                          and, when S is not 200, every answer but /__fault's is S (503: the CRM is down); the load
//                          tool's crm-slow and crm-down drills. seconds=0 ends a fault. 200 with the fault as JSON.
//   GET /__fault           the fault now in force, as JSON (loopback only)
//
// Environment: CRM_SIM_DELAY_MS   delay every /customers answer by this many milliseconds (slow-CRM drills)
//              PHP_CLI_SERVER_WORKERS  PHP's own: serve requests with that many worker processes

declare(strict_types=1);

final class CrmCustomer
{
    public string $segment = 'retail';
    protected string $internalNote = 'imported from the 2015 CRM';
    private int $version = 3;
}

/** Deterministic pseudo-random numbers from the id: the same id always gives the same record. */
final class Dice
{
    private int $counter = 0;

    public function __construct(private readonly string $seed) {}

    public function int(int $min, int $max): int
    {
        $h = hexdec(substr(md5($this->seed . '#' . $this->counter++), 0, 7));
        return $min + ($h % ($max - $min + 1));
    }

    public function pick(array $items): mixed
    {
        return $items[$this->int(0, count($items) - 1)];
    }

    public function chance(int $percent): bool
    {
        return $this->int(1, 100) <= $percent;
    }
}

function customer_record(string $id): array
{
    $d = new Dice($id);
    $chinese = $d->chance(50);
    if ($chinese) {
        $name = $d->pick(['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '周', '吴', '欧阳'])
            . $d->pick(['伟', '芳', '娜', '秀英', '敏', '静', '丽', '强', '磊', '洋', '艳', '勇', '军']);
        $city = $d->pick(['上海', '北京', '深圳', '杭州', '成都', '广州']);
        $street = $d->pick(['南京西路', '长安街', '深南大道', '文三路', '天府大道']) . $d->int(1, 999) . '号';
        $phone = '+86 1' . $d->int(30, 89) . ' ' . str_pad((string)$d->int(0, 9999), 4, '0', STR_PAD_LEFT)
            . ' ' . str_pad((string)$d->int(0, 9999), 4, '0', STR_PAD_LEFT);
    } else {
        $name = $d->pick(['Alice', 'Bruno', 'Chloé', 'Dmitri', 'Eva', 'François', 'Grace', 'Hiroshi'])
            . ' ' . $d->pick(['Martin', 'Müller', 'García', 'Rossi', 'Dubois', 'Nakamura', 'Smith']);
        $city = $d->pick(['Lyon', 'München', 'Zürich', 'London', 'Kraków']);
        $street = $d->int(1, 250) . ' ' . $d->pick(['Rue de la Paix', 'Hauptstraße', 'High Street', 'ulica Długa']);
        $phone = '+44 20 ' . $d->int(1000, 9999) . ' ' . $d->int(1000, 9999);
    }
    $level = $d->pick([1, 1, 2, 3]);   // 3 is VIP in this CRM

    $profile = new stdClass();
    $profile->source = $d->pick(['web', 'store', 'phone', '微信']);
    $profile->registered_at = sprintf('20%02d-%02d-%02d', $d->int(10, 24), $d->int(1, 12), $d->int(1, 28));
    $profile->last_login = 1_700_000_000 + $d->int(0, 30_000_000);
    $profile->opt_in = $d->chance(60);

    $record = [
        'id' => $id,
        'customer_no' => 100_000 + $d->int(0, 899_999),
        'name' => $name,
        'contact' => [
            'phone' => $phone,
            'email' => ($chinese ? 'kehu' : strtolower(preg_replace('/[^a-z]/i', '', transliterate($name))))
                . '.' . $d->int(1, 999) . '@example.com',
            'wechat' => $chinese ? 'wx_' . $d->int(10000, 99999) : null,
        ],
        'member_level' => $level,
        'vip' => $level === 3,
        'balance' => round($d->int(0, 5_000_000) / 100, 2),
        'credit_score' => $d->int(3000, 8500) / 10.0,
        'credit_limit' => $level === 3 ? INF : 5000.0,   // INF: this CRM's way of saying "no limit"
        'discount_rate' => $level === 3 ? 0.15 : 0.0,
        'addresses' => [
            ['type' => 'home', 'city' => $city, 'street' => $street, 'zip' => str_pad((string)$d->int(0, 99999), 5, '0', STR_PAD_LEFT)],
            ['type' => 'work', 'city' => $city, 'street' => $street . ($chinese ? ' 写字楼' : ' (office)'), 'zip' => null],
        ],
        'tags' => array_values(array_unique([$d->pick(['new', 'loyal', 'wholesale']), $d->pick(['newsletter', 'sms', '老客户'])])),
        'profile' => $profile,
        'segment' => new CrmCustomer(),
        'history' => [2019 => $d->int(0, 20), 2021 => $d->int(0, 20), 2024 => $d->int(0, 20)],
        'notes' => '',
    ];
    // The legacy CRM keeps the billing address as a PHP reference to the first address,
    // and the profile object twice (an object reference when serialized).
    $record['billing_address'] = &$record['addresses'][0];
    $record['last_seen_profile'] = $profile;
    return $record;
}

function transliterate(string $name): string
{
    return strtr($name, ['é' => 'e', 'ç' => 'c', 'ü' => 'ue', 'ß' => 'ss', 'ó' => 'o', 'ł' => 'l']);
}

function answer(int $status, string $body, string $type = 'text/plain; charset=utf-8'): void
{
    http_response_code($status);
    header('Content-Type: ' . $type);
    header('Content-Length: ' . strlen($body));
    echo $body;
}

/**
 * A fault set through /__fault, shared by every worker process of the built-in server (PHP_CLI_SERVER_WORKERS) through
 * a file named after the port: each worker is its own process, so memory would not do.
 */
function fault_file(): string
{
    return sys_get_temp_dir() . '/crm-sim-fault-' . (int)($_SERVER['SERVER_PORT'] ?? 0) . '.json';
}

/** The fault in force now, or null. */
function current_fault(): ?array
{
    $file = fault_file();
    if (!is_file($file)) {
        return null;
    }
    $fault = json_decode((string)@file_get_contents($file), true);
    return is_array($fault) && ($fault['until'] ?? 0) > microtime(true) ? $fault : null;
}

function is_loopback(string $address): bool
{
    return $address === '127.0.0.1' || $address === '::1' || str_starts_with($address, '::ffff:127.');
}

$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) ?: '/';
$method = $_SERVER['REQUEST_METHOD'] ?? 'GET';

if ($path === '/__fault') {
    if (!is_loopback($_SERVER['REMOTE_ADDR'] ?? '')) {
        answer(403, "faults are for local drills only\n");
    } elseif ($method === 'POST') {
        $seconds = max(0.0, (float)($_GET['seconds'] ?? 0));
        $fault = [
            'delayMs' => max(0, (int)($_GET['delayMs'] ?? 0)),
            'status' => (int)($_GET['status'] ?? 200) ?: 200,
            'until' => microtime(true) + $seconds,
        ];
        // Written to a temporary file and renamed: a worker never reads half a fault.
        $tmp = fault_file() . '.' . getmypid();
        file_put_contents($tmp, json_encode($fault));
        rename($tmp, fault_file());
        answer(200, json_encode($fault + ['seconds' => $seconds]), 'application/json');
    } else {
        answer(200, json_encode(current_fault()), 'application/json');
    }
    return true;
}

$fault = current_fault();
if ($fault !== null && $fault['status'] !== 200) {
    answer($fault['status'], "<html><body><h1>Service Unavailable</h1></body></html>", 'text/html');
    return true;
}

if ($path === '/health') {
    answer(200, "ok\n");
    return true;
}

if ($method === 'GET' && preg_match('#^/customers/([^/]+)$#', $path, $m)) {
    $delay = (int)(getenv('CRM_SIM_DELAY_MS') ?: 0) + (int)($fault['delayMs'] ?? 0);
    if ($delay > 0) {
        usleep($delay * 1000);
    }
    $id = rawurldecode($m[1]);
    if (str_starts_with($id, 'unknown')) {
        answer(404, serialize(['error' => 'customer not found', 'id' => $id]));
    } elseif (str_starts_with($id, 'fail')) {
        answer(500, "<html><body><h1>Fatal error</h1>Allowed memory size exhausted</body></html>", 'text/html');
    } elseif (str_starts_with($id, 'broken')) {
        $full = serialize(customer_record($id));
        answer(200, substr($full, 0, intdiv(strlen($full), 2)));
    } else {
        answer(200, serialize(customer_record($id)));
    }
    return true;
}

answer(404, serialize(['error' => 'no such route', 'path' => $path]));
return true;

<?php
// The oracle for PhpSerialized: prints COUNT generated records, one a line, as
//   base64(serialize($record)) TAB base64(json_encode($record, JSON_PARTIAL_OUTPUT_ON_ERROR))
// usage: php oracle.php COUNT SEED
// Records mix nested arrays (int, negative, sparse and numeric-string keys), objects with public, protected and
// private properties, stdClass, multibyte strings, floats (INF and NAN too: json_encode writes 0 for them with
// JSON_PARTIAL_OUTPUT_ON_ERROR), integers at the 64-bit edges, PHP references and shared objects.

declare(strict_types=1);
error_reporting(E_ALL);

class Customer
{
    public $name;
    public $tags = [];
    protected $secret = 'p4ss;"}';
    private $pin = 1234;
    public $address;
}

class Address
{
    public string $city = '';
    public ?string $zip = null;
    public array $lines = [];
    private float $lat = 31.2304;
}

final class Gen
{
    private array $objects = [];

    public function string(): string
    {
        $pool = ['', 'a', 'hello world', '王伟', '上海市浦东新区', 'Zürich', 'Ελληνικά', 'emoji 😀👍🏽', 'e' . "\u{0301}",
            'quote " and \\ backslash', 's:5:"fake";', 'a:1:{}', "line\nbreak\ttab", "nul\0inside", '}{;:', 'ÿ', '0', '05',
            '-0', '1e3', ' spaced ', str_repeat('长', 50), 'O:8:"stdClass":0:{}'];
        return $pool[mt_rand(0, count($pool) - 1)];
    }

    public function float(): float
    {
        $pool = [0.0, -0.0, 0.1, -1.5, 3.141592653589793, 1e-300, 5e-324, 1.7976931348623157e308, 1e25, 123456789.125,
            0.30000000000000004, INF, -INF, NAN, 2.5e-5, 100.0, -273.15];
        return mt_rand(0, 3) === 0 ? mt_rand(-1000000, 1000000) / 997 : $pool[mt_rand(0, count($pool) - 1)];
    }

    public function int(): int
    {
        $pool = [0, 1, -1, 42, PHP_INT_MAX, PHP_INT_MIN, 2147483648, -2147483649, 9007199254740993];
        return mt_rand(0, 2) === 0 ? $pool[mt_rand(0, count($pool) - 1)] : mt_rand(-100000, 100000);
    }

    public function key(): int|string
    {
        return match (mt_rand(0, 6)) {
            0 => mt_rand(0, 5),
            1 => mt_rand(-5, 1000),
            2 => (string)mt_rand(0, 9),          // numeric string: becomes an int key
            3 => '0' . mt_rand(0, 9),            // not canonical: stays a string
            4 => $this->string(),
            default => ['name', 'phone', 'email', '电话', 'vip', 'a.b', "k\0x", ''][mt_rand(0, 7)],
        };
    }

    public function value(int $depth): mixed
    {
        $max = $depth >= 5 ? 6 : 11;
        return match (mt_rand(0, $max)) {
            0 => null,
            1 => (bool)mt_rand(0, 1),
            2 => $this->int(),
            3 => $this->float(),
            4, 5 => $this->string(),
            6 => $this->objects ? $this->objects[mt_rand(0, count($this->objects) - 1)] : $this->string(),
            7 => $this->list($depth + 1),
            8, 9 => $this->map($depth + 1),
            10 => $this->object($depth + 1),
            default => $this->customer($depth + 1),
        };
    }

    public function list(int $depth): array
    {
        $a = [];
        for ($i = 0, $n = mt_rand(0, 5); $i < $n; $i++) $a[] = $this->value($depth);
        if ($n > 2 && mt_rand(0, 3) === 0) unset($a[1]);              // a gap: no longer a list
        if ($n > 1 && mt_rand(0, 3) === 0) $a[0] = &$a[$n - 1];      // a PHP reference
        return $a;
    }

    public function map(int $depth): array
    {
        $a = [];
        for ($i = 0, $n = mt_rand(0, 6); $i < $n; $i++) $a[$this->key()] = $this->value($depth);
        $keys = array_keys($a);
        if (count($keys) > 1 && mt_rand(0, 2) === 0) $a[$keys[0]] = &$a[$keys[count($keys) - 1]];
        return $a;
    }

    public function object(int $depth): object
    {
        $o = new stdClass();
        for ($i = 0, $n = mt_rand(0, 4); $i < $n; $i++) {
            $name = ['id', 'name', '姓名', 'nested', 'x y', '0', '12'][mt_rand(0, 6)];
            $o->{$name} = $this->value($depth);
        }
        $this->objects[] = $o;
        return $o;
    }

    public function customer(int $depth): object
    {
        $c = new Customer();
        $c->name = $this->string();
        $c->tags = $this->list($depth);
        $address = new Address();
        $address->city = $this->string();
        $address->zip = mt_rand(0, 1) ? (string)mt_rand(10000, 99999) : null;
        $address->lines = [$this->string(), $this->string()];
        $c->address = $address;
        $this->objects[] = $c;
        return $c;
    }

    public function record(): mixed
    {
        return match (mt_rand(0, 9)) {
            0 => $this->value(5),
            1 => $this->list(0),
            2 => $this->object(0),
            default => $this->map(0),
        };
    }
}

$count = (int)($argv[1] ?? 300);
$seed = (int)($argv[2] ?? 1);
mt_srand($seed);
$gen = new Gen();
for ($i = 0; $i < $count; $i++) {
    $record = $gen->record();
    $json = json_encode($record, JSON_PARTIAL_OUTPUT_ON_ERROR);
    echo base64_encode(serialize($record)), "\t", base64_encode($json === false ? 'false' : $json), "\n";
}

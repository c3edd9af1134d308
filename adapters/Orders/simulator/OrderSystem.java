// The legacy order system, simulated for local runs and tests: a Java program outside .NET so that interop is real.
//
//   java OrderSystem.java HTTP_PORT AMQP_PORT [--xml] [--amqp-host 127.0.0.1] [--vhost /]
//        [--work-orders order-system.work-orders] [--results order-system.work-order-results]
//   AMQP credentials: env ORDER_SIM_AMQP_USER / ORDER_SIM_AMQP_PASSWORD (default guest/guest).
//
// REST: GET /customers/{id}/orders[?limit=N] answers the customer's recent orders, generated deterministically
// from the id: JSON, or XML when the request sends "Accept: application/xml" or the program runs with --xml.
// Customers whose id starts with "unknown" answer 404. GET /health answers {"status":"UP","amqp":...}.
//
// AMQP 0-9-1 (written here, no libraries): consumes plain-JSON work orders from the work-orders queue and answers
// each on the results queue (or the message's reply-to) with "created" and a work-order number, or "rejected"
// with a reason when the summary is empty or contains "reject". A work order seen before (same ticketRequestId)
// gets the same answer again. The work order is acknowledged only after the broker confirmed the answer.
// docs/tickets.md describes the messages.

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.*;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.*;
import java.time.format.DateTimeFormatter;
import java.util.*;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

public class OrderSystem {
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: java OrderSystem.java HTTP_PORT AMQP_PORT [--xml] [--amqp-host H] [--vhost V] [--work-orders Q] [--results Q]");
            System.exit(2);
        }
        int httpPort = Integer.parseInt(args[0]);
        int amqpPort = Integer.parseInt(args[1]);
        boolean xml = false;
        String amqpHost = "127.0.0.1", vhost = "/", workOrders = "order-system.work-orders", results = "order-system.work-order-results";
        for (int i = 2; i < args.length; i++) {
            switch (args[i]) {
                case "--xml" -> xml = true;
                case "--amqp-host" -> amqpHost = args[++i];
                case "--vhost" -> vhost = args[++i];
                case "--work-orders" -> workOrders = args[++i];
                case "--results" -> results = args[++i];
                default -> { System.err.println("unknown option " + args[i]); System.exit(2); }
            }
        }
        String user = Objects.requireNonNullElse(System.getenv("ORDER_SIM_AMQP_USER"), "guest");
        String password = Objects.requireNonNullElse(System.getenv("ORDER_SIM_AMQP_PASSWORD"), "guest");

        WorkOrderDesk desk = new WorkOrderDesk();
        AmqpWorker worker = new AmqpWorker(amqpHost, amqpPort, user, password, vhost, workOrders, results, desk);
        Thread amqp = new Thread(worker::runForever, "amqp");
        amqp.setDaemon(true);
        amqp.start();

        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", httpPort), 64);
        http.setExecutor(Executors.newFixedThreadPool(8));
        boolean xmlMode = xml;
        http.createContext("/", exchange -> new RestApi(xmlMode, worker).handle(exchange));
        http.start();
        System.out.println("order system listening on http://127.0.0.1:" + httpPort + (xml ? " (XML)" : "")
                + ", work orders from amqp://" + amqpHost + ":" + amqpPort + " queue " + workOrders);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> http.stop(0)));
    }
}

/** The REST interface of the order system. */
final class RestApi {
    private final boolean xmlMode;
    private final AmqpWorker amqp;

    RestApi(boolean xmlMode, AmqpWorker amqp) { this.xmlMode = xmlMode; this.amqp = amqp; }

    void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            URI uri = exchange.getRequestURI();
            String path = uri.getPath();
            if (!"GET".equals(exchange.getRequestMethod())) { send(exchange, 405, "text/plain", "method not allowed"); return; }
            if (path.equals("/health")) {
                send(exchange, 200, "application/json", "{\"status\":\"UP\",\"amqp\":\"" + (amqp.connected() ? "connected" : "disconnected") + "\"}");
                return;
            }
            String[] parts = path.split("/");
            if (parts.length == 4 && parts[1].equals("customers") && parts[3].equals("orders") && !parts[2].isEmpty()) {
                String customerId = URLDecoderUtf8.decode(parts[2]);
                if (customerId.startsWith("unknown")) { send(exchange, 404, "application/json", "{\"error\":\"no such customer\"}"); return; }
                int limit = 10;
                String query = uri.getRawQuery();
                if (query != null) for (String p : query.split("&"))
                    if (p.startsWith("limit=")) {
                        try { limit = Math.max(0, Math.min(50, Integer.parseInt(p.substring(6)))); }
                        catch (NumberFormatException e) { send(exchange, 400, "text/plain", "bad limit"); return; }
                    }
                List<GeneratedOrder> orders = GeneratedOrder.forCustomer(customerId, limit);
                String accept = Objects.requireNonNullElse(exchange.getRequestHeaders().getFirst("Accept"), "");
                boolean wantsXml = xmlMode || (accept.contains("application/xml") && !accept.contains("application/json"));
                if (wantsXml) send(exchange, 200, "application/xml; charset=utf-8", GeneratedOrder.toXml(customerId, orders));
                else send(exchange, 200, "application/json; charset=utf-8", GeneratedOrder.toJson(customerId, orders));
                return;
            }
            send(exchange, 404, "text/plain", "not found");
        } catch (RuntimeException e) {
            e.printStackTrace();
        }
    }

    private static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }
}

final class URLDecoderUtf8 {
    static String decode(String s) { return java.net.URLDecoder.decode(s, StandardCharsets.UTF_8); }
}

/** One order as the legacy system stores it; the same customer id always gives the same orders. */
record GeneratedOrder(String orderNo, String status, long payFen, String currency, Instant createTime, List<String[]> items) {
    private static final String[] STATUSES = {"WAIT_PAY", "PAID", "SHIPPED", "FINISHED", "CLOSED"};
    private static final String[] PRODUCTS = {"Tea set", "Rice cooker", "Phone case", "茶叶礼盒", "Running shoes", "保温杯", "Desk lamp", "Backpack"};
    // Recent relative to a fixed day, so answers never change between runs.
    private static final Instant NEWEST = Instant.parse("2026-11-20T10:00:00Z");

    static List<GeneratedOrder> forCustomer(String customerId, int limit) {
        Random random = new Random(customerId.hashCode() * 31L + 7);
        int count = Math.min(limit, 1 + random.nextInt(5));
        List<GeneratedOrder> orders = new ArrayList<>();
        Instant at = NEWEST.minus(Duration.ofMinutes(random.nextInt(600)));
        for (int i = 0; i < count; i++) {
            List<String[]> items = new ArrayList<>();
            int lines = 1 + random.nextInt(3);
            for (int l = 0; l < lines; l++)
                items.add(new String[]{PRODUCTS[random.nextInt(PRODUCTS.length)], Integer.toString(1 + random.nextInt(3))});
            String no = String.format("SO%s%06d", DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC).format(at),
                    Math.floorMod(customerId.hashCode() + i * 7919, 1_000_000));
            orders.add(new GeneratedOrder(no, STATUSES[random.nextInt(STATUSES.length)], 100 + random.nextInt(200_000), "CNY", at, items));
            at = at.minus(Duration.ofHours(1 + random.nextInt(72)));
        }
        return orders;
    }

    /** JSON the way a Jackson-based service writes it: dates as epoch milliseconds, amounts as decimals. */
    static String toJson(String customerId, List<GeneratedOrder> orders) {
        StringBuilder b = new StringBuilder("{\"customerId\":").append(Json.quote(customerId)).append(",\"orders\":[");
        for (int i = 0; i < orders.size(); i++) {
            GeneratedOrder o = orders.get(i);
            if (i > 0) b.append(',');
            b.append("{\"orderNo\":").append(Json.quote(o.orderNo))
             .append(",\"status\":").append(Json.quote(o.status))
             .append(",\"payAmount\":").append(yuan(o.payFen))
             .append(",\"currency\":").append(Json.quote(o.currency))
             .append(",\"createTime\":").append(o.createTime.toEpochMilli())
             .append(",\"items\":[");
            for (int l = 0; l < o.items.size(); l++) {
                if (l > 0) b.append(',');
                b.append("{\"skuName\":").append(Json.quote(o.items.get(l)[0])).append(",\"quantity\":").append(o.items.get(l)[1]).append('}');
            }
            b.append("]}");
        }
        return b.append("]}").toString();
    }

    /** XML the way a JAXB-based service writes it: dates as ISO-8601 in China time, the currency as an attribute. */
    static String toXml(String customerId, List<GeneratedOrder> orders) {
        StringBuilder b = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<orderList customerId=\"")
                .append(Xml.escape(customerId)).append("\">");
        DateTimeFormatter iso = DateTimeFormatter.ISO_OFFSET_DATE_TIME.withZone(ZoneOffset.ofHours(8));
        for (GeneratedOrder o : orders) {
            b.append("<order><orderNo>").append(Xml.escape(o.orderNo)).append("</orderNo>")
             .append("<status>").append(o.status).append("</status>")
             .append("<payAmount currency=\"").append(o.currency).append("\">").append(yuan(o.payFen)).append("</payAmount>")
             .append("<createTime>").append(iso.format(o.createTime)).append("</createTime><items>");
            for (String[] item : o.items)
                b.append("<item><skuName>").append(Xml.escape(item[0])).append("</skuName><quantity>").append(item[1]).append("</quantity></item>");
            b.append("</items></order>");
        }
        return b.append("</orderList>").toString();
    }

    private static String yuan(long fen) { return String.format("%d.%02d", fen / 100, fen % 100); }
}

/** Decides work orders; the same ticket always gets the same answer. */
final class WorkOrderDesk {
    private final Map<String, Map<String, Object>> answered = new ConcurrentHashMap<>();
    private final AtomicInteger sequence = new AtomicInteger(100);

    /** The answer (JSON) to a work order (JSON), or null when it cannot be answered (no ticketRequestId). */
    String answer(String body) {
        Object parsed;
        try { parsed = Json.parse(body); } catch (IllegalArgumentException e) {
            System.err.println("work order is not JSON, dropped: " + e.getMessage());
            return null;
        }
        if (!(parsed instanceof Map<?, ?> order) || !(order.get("ticketRequestId") instanceof String id) || id.isBlank()) {
            System.err.println("work order without ticketRequestId, dropped: " + body);
            return null;
        }
        System.out.println("received work order " + id);
        Map<String, Object> reply = answered.computeIfAbsent(id, key -> decide(key, order));
        return Json.write(reply);
    }

    private Map<String, Object> decide(String id, Map<?, ?> order) {
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("ticketRequestId", id);
        reply.put("tenantId", order.get("tenantId"));
        reply.put("conversationId", order.get("conversationId"));
        String summary = order.get("summary") instanceof String s ? s.trim() : "";
        if (summary.isEmpty()) {
            reply.put("status", "rejected");
            reply.put("reason", "summary is empty");
        } else if (summary.toLowerCase(Locale.ROOT).contains("reject")) {
            reply.put("status", "rejected");
            reply.put("reason", "the order desk refused the work order");
        } else {
            reply.put("status", "created");
            reply.put("workOrderNumber", String.format("WO-%d-%06d", Year.now(ZoneOffset.UTC).getValue(), sequence.incrementAndGet()));
        }
        reply.put("processedAt", Instant.now().toString());
        System.out.println("work order " + id + " (" + order.get("tenantId") + "/" + order.get("conversationId") + "): "
                + reply.get("status") + " " + Objects.requireNonNullElse(reply.get("workOrderNumber"), reply.get("reason")));
        return reply;
    }
}

/**
 * A minimal AMQP 0-9-1 client on one socket and one channel: PLAIN login, queue declare, publisher confirms,
 * basic.consume with manual acks. Deliveries are answered one at a time; each is acknowledged after the broker
 * confirmed its answer, so a crash in between redelivers the work order and the desk repeats the same answer.
 */
final class AmqpWorker {
    private final String host, user, password, vhost, workOrders, results;
    private final int port;
    private final WorkOrderDesk desk;
    private volatile boolean connected;

    AmqpWorker(String host, int port, String user, String password, String vhost, String workOrders, String results, WorkOrderDesk desk) {
        this.host = host; this.port = port; this.user = user; this.password = password; this.vhost = vhost;
        this.workOrders = workOrders; this.results = results; this.desk = desk;
    }

    boolean connected() { return connected; }

    void runForever() {
        long backoff = 500;
        while (true) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(host, port), 3000);
                socket.setTcpNoDelay(true);
                new Session(socket).run();
                backoff = 500;
            } catch (IOException | RuntimeException e) {
                if (connected) System.err.println("amqp connection lost: " + e.getMessage());
            } finally {
                connected = false;
            }
            try { Thread.sleep(backoff); } catch (InterruptedException e) { return; }
            backoff = Math.min(backoff * 2, 5000);
        }
    }

    private final class Session {
        private static final int FRAME_METHOD = 1, FRAME_HEADER = 2, FRAME_BODY = 3, FRAME_HEARTBEAT = 8, FRAME_END = 0xCE;
        private final DataInputStream in;
        private final DataOutputStream out;
        private int frameMax = 131072;
        private long publishSeq;
        private final ArrayDeque<Delivery> pending = new ArrayDeque<>();
        private Delivery inFlight;      // answered, waiting for the broker's confirm
        private long inFlightSeq;

        Session(Socket socket) throws IOException {
            in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
        }

        void run() throws IOException {
            out.write(new byte[]{'A', 'M', 'Q', 'P', 0, 0, 9, 1});
            out.flush();

            expectMethod(10, 10); // connection.start
            Frame startOk = Frame.method(0, 10, 11);
            Map<String, Object> props = new LinkedHashMap<>();
            props.put("product", "OrderSystem simulator");
            props.put("connection_name", "order-system");
            startOk.table(props).shortStr("PLAIN").longStr(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8)).shortStr("en_US");
            send(startOk);

            Reader tune = expectMethod(10, 30);
            int channelMax = tune.u16();
            int serverFrameMax = tune.i32();
            if (serverFrameMax > 0) frameMax = Math.min(frameMax, serverFrameMax);
            // Heartbeats off: a broker that goes away closes the socket, and the reconnect loop takes over.
            send(Frame.method(0, 10, 31).u16(channelMax == 0 ? 1 : Math.min(channelMax, 1)).i32(frameMax).u16(0));
            send(Frame.method(0, 10, 40).shortStr(vhost).shortStr("").bit(false));
            expectMethod(10, 41);

            send(Frame.method(1, 20, 10).shortStr(""));
            expectMethod(20, 11);
            // Durable, not exclusive, not auto-deleted, no arguments: the declaration MassTransit makes too.
            for (String queue : List.of(workOrders, results)) {
                send(Frame.method(1, 50, 10).u16(0).shortStr(queue).bits(false, true, false, false, false).table(Map.of()));
                expectMethod(50, 11);
            }
            send(Frame.method(1, 85, 10).bit(false)); // confirm.select
            expectMethod(85, 11);
            send(Frame.method(1, 60, 10).i32(0).u16(16).bit(false)); // basic.qos prefetch 16
            expectMethod(60, 11);
            send(Frame.method(1, 60, 20).u16(0).shortStr(workOrders).shortStr("order-system").bits(false, false, false, false).table(Map.of()));
            expectMethod(60, 21);
            connected = true;
            System.out.println("amqp connected, consuming " + workOrders);

            while (true) {
                Frame.Incoming frame = Frame.read(in);
                if (frame.type() == FRAME_HEARTBEAT) continue;
                if (frame.type() != FRAME_METHOD) throw new IOException("unexpected frame type " + frame.type());
                Reader r = new Reader(frame.payload());
                int classId = r.u16(), methodId = r.u16();
                if (classId == 60 && methodId == 60) {          // basic.deliver
                    r.shortStr();
                    long tag = r.i64();
                    r.u8(); r.shortStr(); r.shortStr();
                    pending.add(readContent(tag));
                } else if (classId == 60 && (methodId == 80 || methodId == 120)) { // basic.ack / basic.nack of our publish
                    long tag = r.i64();
                    boolean multiple = (r.u8() & 1) != 0;
                    if (inFlight != null && (tag == inFlightSeq || (multiple && tag >= inFlightSeq))) {
                        if (methodId == 80) {
                            send(Frame.method(1, 60, 80).i64(inFlight.tag()).bit(false));
                            inFlight = null;
                        } else {
                            publishAnswer(inFlight); // the broker could not take it: try again
                        }
                    }
                } else if (classId == 10 && methodId == 50) {   // connection.close
                    int code = r.u16();
                    String text = r.shortStr();
                    send(Frame.method(0, 10, 51));
                    throw new IOException("broker closed the connection: " + code + " " + text);
                } else if (classId == 20 && methodId == 40) {   // channel.close
                    int code = r.u16();
                    String text = r.shortStr();
                    send(Frame.method(1, 20, 41));
                    throw new IOException("broker closed the channel: " + code + " " + text);
                }
                if (inFlight == null && !pending.isEmpty()) answerNext();
            }
        }

        private void answerNext() throws IOException {
            while (inFlight == null && !pending.isEmpty()) {
                Delivery d = pending.poll();
                String answer = desk.answer(new String(d.body(), StandardCharsets.UTF_8));
                if (answer == null) {
                    send(Frame.method(1, 60, 80).i64(d.tag()).bit(false)); // unanswerable: acknowledge and drop
                    continue;
                }
                inFlight = new Delivery(d.tag(), answer.getBytes(StandardCharsets.UTF_8), d.messageId(), d.replyTo());
                publishAnswer(inFlight);
            }
        }

        private void publishAnswer(Delivery answer) throws IOException {
            String queue = answer.replyTo() != null && !answer.replyTo().isBlank() ? answer.replyTo() : results;
            send(Frame.method(1, 60, 40).u16(0).shortStr("").shortStr(queue).bits(false, false));
            // Properties: content-type, delivery-mode (persistent), correlation-id (the work order's message id).
            int flags = (1 << 15) | (1 << 12) | (answer.messageId() != null ? 1 << 10 : 0);
            Frame header = new Frame(FRAME_HEADER, 1).u16(60).u16(0).i64(answer.body().length).u16(flags)
                    .shortStr("application/json").u8(2);
            if (answer.messageId() != null) header.shortStr(answer.messageId());
            send(header);
            byte[] body = answer.body();
            for (int offset = 0; offset < body.length; offset += frameMax - 8) {
                int length = Math.min(frameMax - 8, body.length - offset);
                send(new Frame(FRAME_BODY, 1).bytes(body, offset, length));
            }
            inFlightSeq = ++publishSeq;
        }

        private Delivery readContent(long tag) throws IOException {
            Frame.Incoming header = Frame.read(in);
            if (header.type() != FRAME_HEADER) throw new IOException("expected a content header");
            Reader h = new Reader(header.payload());
            h.u16(); h.u16();
            long size = h.i64();
            int flags = h.u16();
            String messageId = null, replyTo = null;
            if ((flags & (1 << 15)) != 0) h.shortStr();          // content-type
            if ((flags & (1 << 14)) != 0) h.shortStr();          // content-encoding
            if ((flags & (1 << 13)) != 0) h.table();             // headers
            if ((flags & (1 << 12)) != 0) h.u8();                // delivery-mode
            if ((flags & (1 << 11)) != 0) h.u8();                // priority
            if ((flags & (1 << 10)) != 0) h.shortStr();          // correlation-id
            if ((flags & (1 << 9)) != 0) replyTo = h.shortStr(); // reply-to
            if ((flags & (1 << 8)) != 0) h.shortStr();           // expiration
            if ((flags & (1 << 7)) != 0) messageId = h.shortStr();
            ByteArrayOutputStream body = new ByteArrayOutputStream((int) Math.min(size, 1 << 20));
            while (body.size() < size) {
                Frame.Incoming part = Frame.read(in);
                if (part.type() != FRAME_BODY) throw new IOException("expected a body frame");
                body.write(part.payload());
            }
            // MassTransit names its own reply addresses (rabbitmq://...); only a plain queue name is a reply-to here.
            if (replyTo != null && replyTo.contains("://")) replyTo = null;
            return new Delivery(tag, body.toByteArray(), messageId, replyTo);
        }

        private Reader expectMethod(int classId, int methodId) throws IOException {
            while (true) {
                Frame.Incoming frame = Frame.read(in);
                if (frame.type() == FRAME_HEARTBEAT) continue;
                Reader r = new Reader(frame.payload());
                int c = r.u16(), m = r.u16();
                if (c == classId && m == methodId) return r;
                if (c == 10 && m == 50) { int code = r.u16(); throw new IOException("connection refused: " + code + " " + r.shortStr()); }
                if (c == 20 && m == 40) { int code = r.u16(); throw new IOException("channel closed: " + code + " " + r.shortStr()); }
                throw new IOException("expected method " + classId + "." + methodId + ", got " + c + "." + m);
            }
        }

        private void send(Frame frame) throws IOException {
            frame.writeTo(out);
            out.flush();
        }
    }

    private record Delivery(long tag, byte[] body, String messageId, String replyTo) {}
}

/** An outgoing AMQP frame, built field by field. */
final class Frame {
    private final int type, channel;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private final DataOutputStream data = new DataOutputStream(buffer);
    private int bitBuffer = -1, bitCount;

    record Incoming(int type, int channel, byte[] payload) {}

    Frame(int type, int channel) { this.type = type; this.channel = channel; }

    static Frame method(int channel, int classId, int methodId) { return new Frame(1, channel).u16(classId).u16(methodId); }

    static Incoming read(DataInputStream in) throws IOException {
        int type = in.readUnsignedByte();
        int channel = in.readUnsignedShort();
        int size = in.readInt();
        if (size < 0 || size > 16 * 1024 * 1024) throw new IOException("frame of " + size + " bytes");
        byte[] payload = new byte[size];
        in.readFully(payload);
        if (in.readUnsignedByte() != 0xCE) throw new IOException("frame end missing");
        return new Incoming(type, channel, payload);
    }

    Frame u8(int v) { flushBits(); return io(() -> data.writeByte(v)); }
    Frame u16(int v) { flushBits(); return io(() -> data.writeShort(v)); }
    Frame i32(int v) { flushBits(); return io(() -> data.writeInt(v)); }
    Frame i64(long v) { flushBits(); return io(() -> data.writeLong(v)); }
    Frame bytes(byte[] b, int offset, int length) { flushBits(); return io(() -> data.write(b, offset, length)); }

    Frame shortStr(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > 255) throw new IllegalArgumentException("short string too long");
        return u8(b.length).bytes(b, 0, b.length);
    }

    Frame longStr(byte[] b) { return i32(b.length).bytes(b, 0, b.length); }

    /** Consecutive bit fields share octets (AMQP 0-9-1 §4.2.5.2). */
    Frame bit(boolean v) {
        if (bitBuffer < 0 || bitCount == 8) { flushBits(); bitBuffer = 0; bitCount = 0; }
        if (v) bitBuffer |= 1 << bitCount;
        bitCount++;
        return this;
    }

    Frame bits(boolean... values) { for (boolean v : values) bit(v); return this; }

    Frame table(Map<String, Object> table) {
        Frame inner = new Frame(0, 0);
        for (Map.Entry<String, Object> e : table.entrySet()) {
            inner.shortStr(e.getKey());
            if (e.getValue() instanceof Boolean b) inner.u8('t').u8(b ? 1 : 0);
            else inner.u8('S').longStr(String.valueOf(e.getValue()).getBytes(StandardCharsets.UTF_8));
        }
        inner.flushBits();
        byte[] encoded = inner.buffer.toByteArray();
        return i32(encoded.length).bytes(encoded, 0, encoded.length);
    }

    void writeTo(DataOutputStream out) throws IOException {
        flushBits();
        byte[] payload = buffer.toByteArray();
        out.writeByte(type);
        out.writeShort(channel);
        out.writeInt(payload.length);
        out.write(payload);
        out.writeByte(0xCE);
    }

    private void flushBits() {
        if (bitBuffer < 0) return;
        int v = bitBuffer;
        bitBuffer = -1;
        io(() -> data.writeByte(v));
    }

    private interface IoAction { void run() throws IOException; }

    private Frame io(IoAction action) {
        try { action.run(); } catch (IOException e) { throw new UncheckedIOException(e); }
        return this;
    }
}

/** Reads the fields of an incoming frame's payload. */
final class Reader {
    private final DataInputStream in;

    Reader(byte[] payload) { in = new DataInputStream(new ByteArrayInputStream(payload)); }

    int u8() throws IOException { return in.readUnsignedByte(); }
    int u16() throws IOException { return in.readUnsignedShort(); }
    int i32() throws IOException { return in.readInt(); }
    long i64() throws IOException { return in.readLong(); }

    String shortStr() throws IOException { return new String(in.readNBytes(u8()), StandardCharsets.UTF_8); }

    byte[] longStr() throws IOException {
        int length = i32();
        if (length < 0) throw new IOException("negative long string length");
        return in.readNBytes(length);
    }

    /** Reads a field table; values are kept only as far as this program needs them (not at all). */
    void table() throws IOException {
        Reader inner = new Reader(longStr());
        while (inner.in.available() > 0) { inner.shortStr(); inner.value(); }
    }

    private void value() throws IOException {
        int kind = u8();
        switch (kind) {
            case 't', 'b', 'B' -> in.skipNBytes(1);
            case 's', 'u' -> in.skipNBytes(2);
            case 'I', 'i', 'f' -> in.skipNBytes(4);
            case 'l', 'L', 'd', 'T' -> in.skipNBytes(8);
            case 'D' -> in.skipNBytes(5);
            case 'S', 'x' -> longStr();
            case 'F' -> table();
            case 'A' -> { Reader items = new Reader(longStr()); while (items.in.available() > 0) items.value(); }
            case 'V' -> { }
            default -> throw new IOException("unknown field value type '" + (char) kind + "'");
        }
    }
}

/** Just enough JSON: parse objects, arrays, strings, numbers, booleans, null; write maps of simple values. */
final class Json {
    private final String s;
    private int i;

    private Json(String s) { this.s = s; }

    static Object parse(String text) {
        Json p = new Json(text);
        Object v = p.value();
        p.ws();
        if (p.i != p.s.length()) throw new IllegalArgumentException("trailing characters at " + p.i);
        return v;
    }

    static String write(Map<String, Object> map) {
        StringBuilder b = new StringBuilder("{");
        for (Map.Entry<String, Object> e : map.entrySet()) {
            if (b.length() > 1) b.append(',');
            b.append(quote(e.getKey())).append(':');
            Object v = e.getValue();
            if (v == null) b.append("null");
            else if (v instanceof Number || v instanceof Boolean) b.append(v);
            else b.append(quote(v.toString()));
        }
        return b.append('}').toString();
    }

    static String quote(String v) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : v.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> { if (c < 0x20) b.append(String.format("\\u%04x", (int) c)); else b.append(c); }
            }
        }
        return b.append('"').toString();
    }

    private Object value() {
        ws();
        if (i >= s.length()) throw new IllegalArgumentException("unexpected end");
        char c = s.charAt(i);
        switch (c) {
            case '{': {
                i++;
                Map<String, Object> map = new LinkedHashMap<>();
                ws();
                if (peek('}')) { i++; return map; }
                while (true) {
                    ws();
                    String key = string();
                    ws(); expect(':');
                    map.put(key, value());
                    ws();
                    if (peek(',')) { i++; continue; }
                    expect('}');
                    return map;
                }
            }
            case '[': {
                i++;
                List<Object> list = new ArrayList<>();
                ws();
                if (peek(']')) { i++; return list; }
                while (true) {
                    list.add(value());
                    ws();
                    if (peek(',')) { i++; continue; }
                    expect(']');
                    return list;
                }
            }
            case '"': return string();
            case 't': literal("true"); return Boolean.TRUE;
            case 'f': literal("false"); return Boolean.FALSE;
            case 'n': literal("null"); return null;
            default: {
                int start = i;
                while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
                if (start == i) throw new IllegalArgumentException("unexpected '" + c + "' at " + i);
                return Double.parseDouble(s.substring(start, i));
            }
        }
    }

    private String string() {
        expect('"');
        StringBuilder b = new StringBuilder();
        while (true) {
            if (i >= s.length()) throw new IllegalArgumentException("unterminated string");
            char c = s.charAt(i++);
            if (c == '"') return b.toString();
            if (c != '\\') { b.append(c); continue; }
            char e = s.charAt(i++);
            switch (e) {
                case 'n' -> b.append('\n');
                case 't' -> b.append('\t');
                case 'r' -> b.append('\r');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'u' -> { b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; }
                default -> b.append(e);
            }
        }
    }

    private void ws() { while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++; }
    private boolean peek(char c) { return i < s.length() && s.charAt(i) == c; }
    private void expect(char c) { if (!peek(c)) throw new IllegalArgumentException("expected '" + c + "' at " + i); i++; }
    private void literal(String word) { if (!s.startsWith(word, i)) throw new IllegalArgumentException("bad literal at " + i); i += word.length(); }
}

final class Xml {
    static String escape(String v) {
        return v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}

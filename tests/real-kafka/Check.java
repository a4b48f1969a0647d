// Self-check of a broker started by start.sh, run by check.sh with the broker's own kafka-clients
// jar (Java 11+ single-file source launch). Reads the KAFKA_* variables that start.sh prints.
//
// Every listener and SASL mechanism must accept the documented credentials, wrong passwords and a
// TLS client without the test CA must be refused, and one record must make a produce/consume round
// trip (with the KIP-848 consumer protocol when the broker is 4.x).
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class Check {
    private static int passed;
    private static int failed;

    private static String env(String name) {
        String value = System.getenv(name);
        if (value == null || value.isEmpty()) {
            throw new IllegalStateException(name + " is not set; run: eval \"$(tests/real-kafka/start.sh)\"");
        }
        return value;
    }

    private static Properties base(String bootstrap, String protocol) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("security.protocol", protocol);
        p.put("request.timeout.ms", "10000");
        p.put("default.api.timeout.ms", "15000");
        p.put("reconnect.backoff.max.ms", "1000");
        return p;
    }

    private static Properties withTrust(Properties p) throws Exception {
        p.put("ssl.truststore.type", "PEM");
        p.put("ssl.truststore.location", env("KAFKA_SSL_CA_FILE"));
        return p;
    }

    private static Properties withClientCert(Properties p) throws Exception {
        p.put("ssl.keystore.type", "PEM");
        p.put("ssl.keystore.certificate.chain",
                Files.readString(Path.of(env("KAFKA_SSL_CLIENT_CERT")), StandardCharsets.US_ASCII));
        p.put("ssl.keystore.key",
                Files.readString(Path.of(env("KAFKA_SSL_CLIENT_KEY")), StandardCharsets.US_ASCII));
        return p;
    }

    private static Properties withSasl(Properties p, String mechanism, String user, String password) {
        String module = mechanism.startsWith("SCRAM")
                ? "org.apache.kafka.common.security.scram.ScramLoginModule"
                : "org.apache.kafka.common.security.plain.PlainLoginModule";
        p.put("sasl.mechanism", mechanism);
        p.put("sasl.jaas.config", module + " required username=\"" + user + "\" password=\"" + password + "\";");
        return p;
    }

    /** Connects with an admin client and asks for the cluster's nodes; returns the failure, if any. */
    private static Throwable describe(Properties p) {
        try (Admin admin = Admin.create(p)) {
            int nodes = admin.describeCluster().nodes().get().size();
            if (nodes != 1) {
                return new IllegalStateException("expected 1 node, got " + nodes);
            }
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            return e;
        }
    }

    private static void expectOk(String name, Properties p) {
        Throwable error = describe(p);
        report(name, error == null, error == null ? "connected" : "failed: " + error);
    }

    private static void expectRefused(String name, Properties p, Class<? extends Throwable> kind) {
        Throwable error = describe(p);
        boolean ok = error != null && kind.isInstance(error);
        report(name, ok, error == null ? "unexpectedly connected" : error.getClass().getSimpleName() + ": " + error.getMessage());
    }

    private static void report(String name, boolean ok, String detail) {
        if (ok) {
            passed++;
        } else {
            failed++;
        }
        System.out.printf("%-4s %-45s %s%n", ok ? "ok" : "FAIL", name, detail);
    }

    private static void roundTrip(String version) {
        String topic = "real-kafka-check-" + UUID.randomUUID();
        String value = "hello " + UUID.randomUUID();
        boolean newProtocol = Integer.parseInt(version.split("\\.")[0]) >= 4;
        String name = "produce/consume (group.protocol=" + (newProtocol ? "consumer" : "classic") + ")";
        try {
            Properties pp = base(env("KAFKA_BOOTSTRAP"), "PLAINTEXT");
            pp.put("key.serializer", StringSerializer.class.getName());
            pp.put("value.serializer", StringSerializer.class.getName());
            pp.put("max.block.ms", "15000");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp)) {
                producer.send(new ProducerRecord<>(topic, "key", value)).get();
            }
            Properties cp = base(env("KAFKA_BOOTSTRAP"), "PLAINTEXT");
            cp.put("key.deserializer", StringDeserializer.class.getName());
            cp.put("value.deserializer", StringDeserializer.class.getName());
            cp.put("group.id", "real-kafka-check-" + UUID.randomUUID());
            cp.put("auto.offset.reset", "earliest");
            if (newProtocol) {
                cp.put("group.protocol", "consumer");
            }
            List<String> seen = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp)) {
                consumer.subscribe(List.of(topic));
                while (seen.isEmpty() && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                        seen.add(r.value());
                    }
                }
                consumer.commitSync(Duration.ofSeconds(10));
            }
            boolean ok = seen.size() == 1 && seen.get(0).equals(value);
            report(name, ok, ok ? "record came back through a consumer group" : "got " + seen);
        } catch (Exception e) {
            report(name, false, "failed: " + e);
        }
    }

    /** With KAFKA_ENABLE_ACLS=1: a DENY ACL for the PLAIN user on a fresh topic must take effect. */
    private static void aclCheck() {
        String name = "ACL: DENY for " + System.getenv("KAFKA_SASL_PLAIN_USERNAME") + " is enforced";
        String topic = "real-kafka-acl-" + UUID.randomUUID();
        try (Admin superUser = Admin.create(base(env("KAFKA_BOOTSTRAP"), "PLAINTEXT"));
             Admin alice = Admin.create(withSasl(base(env("KAFKA_SASL_PLAINTEXT_BOOTSTRAP"), "SASL_PLAINTEXT"),
                     "PLAIN", env("KAFKA_SASL_PLAIN_USERNAME"), env("KAFKA_SASL_PLAIN_PASSWORD")))) {
            superUser.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
            alice.describeTopics(List.of(topic)).allTopicNames().get(); // allowed: no ACL yet
            AclBinding deny = new AclBinding(new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL),
                    new AccessControlEntry("User:" + env("KAFKA_SASL_PLAIN_USERNAME"), "*", AclOperation.ALL,
                            AclPermissionType.DENY));
            superUser.createAcls(List.of(deny)).all().get();
            int listed = superUser.describeAcls(AclBindingFilter.ANY).values().get().size();
            Throwable error = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (error == null && System.nanoTime() < deadline) { // ACLs reach the broker via metadata
                try {
                    alice.describeTopics(List.of(topic)).allTopicNames().get();
                    Thread.sleep(100);
                } catch (ExecutionException e) {
                    error = e.getCause();
                }
            }
            superUser.deleteAcls(List.of(deny.toFilter())).all().get();
            boolean ok = error instanceof TopicAuthorizationException && listed >= 1;
            report(name, ok, "describeAcls listed " + listed + "; describeTopics as the user: " + error);
        } catch (Exception e) {
            report(name, false, "failed: " + e);
        }
    }

    public static void main(String[] args) throws Exception {
        String plain = env("KAFKA_BOOTSTRAP");
        String saslPlain = env("KAFKA_SASL_PLAINTEXT_BOOTSTRAP");
        String ssl = env("KAFKA_SSL_BOOTSTRAP");
        String saslSsl = env("KAFKA_SASL_SSL_BOOTSTRAP");
        String plainUser = env("KAFKA_SASL_PLAIN_USERNAME");
        String plainPass = env("KAFKA_SASL_PLAIN_PASSWORD");
        String scramUser = env("KAFKA_SASL_SCRAM_USERNAME");
        String scramPass = env("KAFKA_SASL_SCRAM_PASSWORD");
        String[] scram = {"SCRAM-SHA-256", "SCRAM-SHA-512"};

        expectOk("PLAINTEXT", base(plain, "PLAINTEXT"));
        expectOk("SASL_PLAINTEXT PLAIN", withSasl(base(saslPlain, "SASL_PLAINTEXT"), "PLAIN", plainUser, plainPass));
        for (String m : scram) {
            expectOk("SASL_PLAINTEXT " + m, withSasl(base(saslPlain, "SASL_PLAINTEXT"), m, scramUser, scramPass));
        }
        expectOk("SSL (server auth)", withTrust(base(ssl, "SSL")));
        expectOk("SSL (mutual TLS, client cert)", withClientCert(withTrust(base(ssl, "SSL"))));
        expectOk("SASL_SSL PLAIN", withSasl(withTrust(base(saslSsl, "SASL_SSL")), "PLAIN", plainUser, plainPass));
        for (String m : scram) {
            expectOk("SASL_SSL " + m, withSasl(withTrust(base(saslSsl, "SASL_SSL")), m, scramUser, scramPass));
        }

        expectRefused("SASL_PLAINTEXT PLAIN wrong password",
                withSasl(base(saslPlain, "SASL_PLAINTEXT"), "PLAIN", plainUser, "wrong"), SaslAuthenticationException.class);
        for (String m : scram) {
            expectRefused("SASL_PLAINTEXT " + m + " wrong password",
                    withSasl(base(saslPlain, "SASL_PLAINTEXT"), m, scramUser, "wrong"), SaslAuthenticationException.class);
        }
        expectRefused("SASL_SSL SCRAM-SHA-512 unknown user",
                withSasl(withTrust(base(saslSsl, "SASL_SSL")), "SCRAM-SHA-512", "nobody", "x"), SaslAuthenticationException.class);
        expectRefused("SSL without the test CA", base(ssl, "SSL"), SslAuthenticationException.class);

        roundTrip(env("KAFKA_VERSION"));
        if ("1".equals(System.getenv("KAFKA_ACLS_ENABLED"))) {
            aclCheck();
        }

        System.out.println(passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }
}

// The Apache Kafka Java client against the in-process broker (run by tests/java.rs with the
// kafka-clients jars that tests/real-kafka/start.sh caches): Admin (topics, configs, client
// quotas, leader election, reassignments, log dirs), the idempotent producer,
// a transactional producer that aborts then commits, and a read_committed group consumer
// (classic, or KIP-848 when the second argument is "consumer").
import java.time.Duration;
import java.util.*;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.serialization.*;

public class JavaCheck {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        Properties a = new Properties();
        a.put("bootstrap.servers", bootstrap);
        try (Admin admin = Admin.create(a)) {
            admin.createTopics(List.of(new NewTopic("jt", 3, (short) 2).configs(Map.of("retention.ms", "3600000")))).all().get();
            // Configs: the CreateTopics override, then an incremental SET, both described back.
            org.apache.kafka.common.config.ConfigResource jt =
                new org.apache.kafka.common.config.ConfigResource(org.apache.kafka.common.config.ConfigResource.Type.TOPIC, "jt");
            admin.incrementalAlterConfigs(Map.of(jt, List.of(new AlterConfigOp(
                new ConfigEntry("max.message.bytes", "2000000"), AlterConfigOp.OpType.SET)))).all().get();
            Config config = admin.describeConfigs(List.of(jt)).all().get().get(jt);
            ConfigEntry retention = config.get("retention.ms");
            ConfigEntry maxBytes = config.get("max.message.bytes");
            System.out.println("configs: " + retention + " " + maxBytes + " cleanup.policy=" + config.get("cleanup.policy").value());
            if (!retention.value().equals("3600000") || retention.source() != ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG
                || !maxBytes.value().equals("2000000")) { System.out.println("FAIL configs"); System.exit(1); }
            // Client quotas: alter, then describe.
            org.apache.kafka.common.quota.ClientQuotaEntity entity =
                new org.apache.kafka.common.quota.ClientQuotaEntity(Map.of("client-id", "jclient"));
            admin.alterClientQuotas(List.of(new org.apache.kafka.common.quota.ClientQuotaAlteration(entity,
                List.of(new org.apache.kafka.common.quota.ClientQuotaAlteration.Op("producer_byte_rate", 1024.0))))).all().get();
            Map<org.apache.kafka.common.quota.ClientQuotaEntity, Map<String, Double>> quotas = admin.describeClientQuotas(
                org.apache.kafka.common.quota.ClientQuotaFilter.all()).entities().get();
            System.out.println("quotas: " + quotas);
            if (!Double.valueOf(1024.0).equals(quotas.getOrDefault(entity, Map.of()).get("producer_byte_rate"))) {
                System.out.println("FAIL quotas"); System.exit(1);
            }
            // Partition administration.
            admin.electLeaders(org.apache.kafka.common.ElectionType.PREFERRED, null).partitions().get();
            System.out.println("reassignments: " + admin.listPartitionReassignments().reassignments().get());
            System.out.println("log dirs: " + admin.describeLogDirs(List.of(1)).allDescriptions().get().get(1).keySet());
            System.out.println("topics: " + admin.listTopics().names().get());
            System.out.println("cluster: " + admin.describeCluster().nodes().get().size() + " nodes");
        }
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("key.serializer", StringSerializer.class.getName());
        p.put("value.serializer", StringSerializer.class.getName());
        p.put("compression.type", "lz4");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            for (int i = 0; i < 10; i++) producer.send(new ProducerRecord<>("jt", "k" + i, "v" + i)).get();
        }
        System.out.println("idempotent produce ok");
        Properties t = new Properties();
        t.putAll(p);
        t.put("transactional.id", "jtx");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(t)) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("jt", "a", "aborted"));
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("jt", "c", "committed"));
            producer.commitTransaction();
        }
        System.out.println("transactions ok");
        Properties c = new Properties();
        c.put("bootstrap.servers", bootstrap);
        c.put("group.id", "jg");
        c.put("auto.offset.reset", "earliest");
        c.put("isolation.level", "read_committed");
        c.put("key.deserializer", StringDeserializer.class.getName());
        c.put("value.deserializer", StringDeserializer.class.getName());
        if (args.length > 1) c.put("group.protocol", args[1]);
        List<String> got = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
            consumer.subscribe(List.of("jt"));
            long end = System.currentTimeMillis() + 20000;
            while (got.size() < 11 && System.currentTimeMillis() < end) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) got.add(r.value());
            }
            consumer.commitSync();
        }
        Collections.sort(got);
        System.out.println("consumed " + got.size() + ": " + got);
        if (got.size() != 11 || got.contains("aborted")) { System.out.println("FAIL"); System.exit(1); }
        System.out.println("PASS");
    }
}

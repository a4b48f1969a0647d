// The Apache Kafka Java client re-authenticating in place (KIP-368) against the in-process
// broker (run by tests/java_sasl.rs): a producer on SASL_PLAINTEXT sends one record every
// 200 ms for a few broker session lifetimes, then Admin describes the cluster. Arguments:
// bootstrap servers, SASL mechanism (PLAIN, SCRAM-SHA-256 or OAUTHBEARER with an unsecured
// JWT), seconds to run.
import java.util.*;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.serialization.*;

public class JavaReauth {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String mechanism = args[1];
        long seconds = Long.parseLong(args[2]);
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("security.protocol", "SASL_PLAINTEXT");
        p.put("sasl.mechanism", mechanism);
        if (mechanism.equals("OAUTHBEARER")) {
            p.put("sasl.jaas.config", "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required"
                + " unsecuredLoginStringClaim_sub=\"alice\" unsecuredLoginListClaim_scope=\",kafka\";");
        } else if (mechanism.equals("PLAIN")) {
            p.put("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required"
                + " username=\"alice\" password=\"alice-secret\";");
        } else {
            p.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required"
                + " username=\"alice\" password=\"alice-secret\";");
        }
        Properties producerProps = new Properties();
        producerProps.putAll(p);
        producerProps.put("acks", "all");
        producerProps.put("max.block.ms", "10000");
        producerProps.put("delivery.timeout.ms", "10000");
        producerProps.put("request.timeout.ms", "5000");
        int sent = 0;
        try (Producer<String, String> producer = new KafkaProducer<>(producerProps, new StringSerializer(), new StringSerializer())) {
            long end = System.currentTimeMillis() + seconds * 1000;
            while (System.currentTimeMillis() < end) {
                producer.send(new ProducerRecord<>("reauth", "k", "v" + sent)).get();
                sent++;
                Thread.sleep(200);
            }
        }
        try (Admin admin = Admin.create(p)) {
            int nodes = admin.describeCluster().nodes().get().size();
            System.out.println("sent=" + sent + " nodes=" + nodes);
            if (nodes < 1) { System.out.println("FAIL describeCluster"); System.exit(1); }
        }
        System.out.println("PASS");
    }
}

//! Connects to a cluster with the shared client runtime and prints what it learns: cluster
//! id, controller, brokers, the API versions negotiated with the first broker, and the
//! leaders of the topics named on the command line.
//!
//! ```sh
//! cargo run --example cluster_info -- localhost:9092 orders payments
//! # or with a Java-style properties file (security settings included):
//! KAFKA_CONFIG=client.properties cargo run --example cluster_info -- localhost:9092
//! ```

use kafka_protocol::messages::{ApiKey, FetchRequest, MetadataRequest, ProduceRequest};
use kafka_protocol::net::{Client, ClientConfig, ConnectionKind};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let bootstrap = args.next().unwrap_or_else(|| "localhost:9092".to_owned());
    let topics: Vec<String> = args.collect();

    let mut properties = match std::env::var("KAFKA_CONFIG") {
        Ok(path) => std::fs::read_to_string(path)?,
        Err(_) => String::new(),
    };
    properties.push_str(&format!("\nbootstrap.servers={bootstrap}\nclient.id=cluster-info\n"));
    let client = Client::connect(ClientConfig::from_properties_text(&properties)?).await?;

    let metadata = client.refresh_metadata(&topics).await?;
    println!("cluster {:?}, controller {:?}", metadata.cluster_id, metadata.controller_id);
    for broker in metadata.brokers.values() {
        println!("  broker {} at {} rack {:?}", broker.id, broker.addr(), broker.rack);
    }

    if let Some(&id) = metadata.brokers.keys().next() {
        let connection = client.connection(id, ConnectionKind::Default).await?;
        println!("versions negotiated with broker {id}:");
        for (api, version) in [
            (ApiKey::Produce, connection.negotiate::<ProduceRequest>()),
            (ApiKey::Fetch, connection.negotiate::<FetchRequest>()),
            (ApiKey::Metadata, connection.negotiate::<MetadataRequest>()),
        ] {
            let theirs = connection.versions().range(api).map_or("none".to_owned(), |r| r.to_string());
            match version {
                Ok(v) => println!("  {api}: v{v} (broker {theirs}, client stable max {})", api.max_stable_version()),
                Err(e) => println!("  {api}: {e}"),
            }
        }
    }

    for topic in &topics {
        match metadata.topic(topic) {
            Some(t) => {
                for p in &t.partitions {
                    println!("  {topic}-{}: leader {:?} epoch {} isr {:?}", p.partition, p.leader, p.leader_epoch, p.isr);
                }
            }
            None => println!("  {topic}: not in metadata"),
        }
    }

    let stats = client.stats();
    println!("requests sent: {}", stats.total_requests());
    client.close().await;
    Ok(())
}

#!/usr/bin/env python3
"""Capture raw Kafka request frames sent by a real client (kcat / librdkafka).

This is a tool for regenerating the golden files under `tests/data/kcat/`; no test runs it.

It listens on 127.0.0.1:PORT as a one-broker "cluster", reads size-prefixed Kafka frames and
writes each request frame *without* its 4-byte size prefix to OUT_DIR as
`NN_<ApiName>_v<version>.bin` (NN = arrival order across all connections). It answers just
enough to keep the client going:

  * ApiVersions (key 18): an ApiVersionsResponse at the requested version (v0..v3), always
    with response header v0, advertising roughly what an Apache Kafka 3.7 broker advertises,
    with Metadata capped at --max-metadata-version. A request above v3 gets the v0-format
    UNSUPPORTED_VERSION reply that real brokers send, so the client downgrades.
  * Metadata (key 3): a MetadataResponse at the requested version (v0..v12) naming this
    listener as broker 1 (also the controller) and one topic (--topic) with one partition led
    by broker 1.
  * Produce (v0..v11): success at base offset 0 for partition 0 of --topic (nothing for
    acks=0). InitProducerId (v0..v5): producer id 4242, epoch 0.
  * ListOffsets (v0..v5): offset 0. Fetch (v0..v11): partition 0 of --topic, empty, high
    watermark 0, so `kcat -C -e` reaches the end of the partition at once.

Any other API is saved and then the connection is closed (the client will log an error).

Usage (from this directory):

    python3 capture_kcat.py --port 19092 --out /tmp/kcat-frames &
    kcat -b 127.0.0.1:19092 -L
    kcat -b 127.0.0.1:19092 -L -t golden-topic
    kill %1

    # a second run, advertising only ApiVersions v0 and Metadata v0..v2:
    python3 capture_kcat.py --port 19093 --out /tmp/kcat-frames-old \
        --max-metadata-version 2 --max-api-versions-version 0 &
    kcat -b 127.0.0.1:19093 -L -t golden-topic
    kill %1

    # producing and consuming (see kcat/README.md for the exact commands used):
    printf 'key1:value1\n' | kcat -b 127.0.0.1:19092 -P -t golden-topic -p 0 -K : -H h1=v1
    kcat -b 127.0.0.1:19092 -C -t golden-topic -p 0 -o 0 -e

Encodings follow the Kafka protocol guide: big-endian fixed-width integers; classic strings
are INT16 length + bytes, arrays INT32 count; flexible versions use compact strings/arrays
(unsigned varint of length + 1) and a tagged-field section (here always empty, one 0 byte).
"""

import argparse
import os
import socketserver
import struct
import sys
import threading

PRODUCE = 0
FETCH = 1
LIST_OFFSETS = 2
METADATA = 3
API_VERSIONS = 18
INIT_PRODUCER_ID = 22

API_NAMES = {
    0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 8: "OffsetCommit",
    9: "OffsetFetch", 10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat",
    13: "LeaveGroup", 14: "SyncGroup", 15: "DescribeGroups", 16: "ListGroups",
    17: "SaslHandshake", 18: "ApiVersions", 19: "CreateTopics", 20: "DeleteTopics",
    21: "DeleteRecords", 22: "InitProducerId", 23: "OffsetForLeaderEpoch",
    24: "AddPartitionsToTxn", 25: "AddOffsetsToTxn", 26: "EndTxn", 28: "TxnOffsetCommit",
    29: "DescribeAcls", 30: "CreateAcls", 31: "DeleteAcls", 32: "DescribeConfigs",
    33: "AlterConfigs", 36: "SaslAuthenticate", 37: "CreatePartitions", 42: "DeleteGroups",
}

# (api key, min version, max version): approximately the client-facing APIs an Apache Kafka
# 3.7 broker advertises. Metadata's max is replaced by --max-metadata-version.
ADVERTISED = [
    (0, 0, 10), (1, 0, 16), (2, 0, 8), (3, 0, 12), (8, 0, 9), (9, 0, 9), (10, 0, 4),
    (11, 0, 9), (12, 0, 4), (13, 0, 5), (14, 0, 5), (15, 0, 5), (16, 0, 4), (17, 0, 1),
    (18, 0, 3), (19, 0, 7), (20, 0, 6), (21, 0, 2), (22, 0, 4), (23, 0, 4), (24, 0, 4),
    (25, 0, 3), (26, 0, 3), (28, 0, 3), (29, 0, 3), (30, 0, 3), (31, 0, 3), (32, 0, 4),
    (33, 0, 2), (34, 0, 2), (35, 0, 4), (36, 0, 2), (37, 0, 3), (38, 0, 3), (39, 0, 2),
    (40, 0, 2), (41, 0, 3), (42, 0, 2), (43, 0, 2), (44, 0, 1), (45, 0, 0), (46, 0, 0),
    (47, 0, 0), (48, 0, 1), (49, 0, 1), (50, 0, 0), (51, 0, 0), (57, 0, 1), (60, 0, 1),
    (61, 0, 0), (64, 0, 0), (65, 0, 0), (66, 0, 0),
]
API_VERSIONS_MAX = 3  # default for --max-api-versions-version
UNSUPPORTED_VERSION = 35

BROKER_ID = 1
CLUSTER_ID = "golden-cluster-id"
TOPIC_ID = bytes(range(1, 17))  # fixed, so responses are reproducible


# ---- primitive encoders -------------------------------------------------------------------

def i8(v):
    return struct.pack(">b", v)


def i16(v):
    return struct.pack(">h", v)


def i32(v):
    return struct.pack(">i", v)


def i64(v):
    return struct.pack(">q", v)


def uvarint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def string(s, flexible):
    """A (non-null) string, compact in flexible versions."""
    data = s.encode()
    return (uvarint(len(data) + 1) if flexible else i16(len(data))) + data


def nullable_string(s, flexible):
    if s is None:
        return uvarint(0) if flexible else i16(-1)
    return string(s, flexible)


def array(items, flexible):
    """An array of already-encoded items, compact in flexible versions."""
    head = uvarint(len(items) + 1) if flexible else i32(len(items))
    return head + b"".join(items)


def no_tags(flexible):
    return uvarint(0) if flexible else b""


# ---- responses ---------------------------------------------------------------------------

def api_versions_response(version, max_metadata, max_api_versions):
    """ApiVersionsResponse body at `version` (0..3)."""
    flexible = version >= 3
    if version > max_api_versions:
        # Real brokers answer an unknown ApiVersions version in the v0 layout with
        # UNSUPPORTED_VERSION and their own ApiVersions range, so the client can retry.
        return i16(UNSUPPORTED_VERSION) + array([i16(API_VERSIONS) + i16(0) + i16(max_api_versions)], False)
    entries = []
    for key, lo, hi in ADVERTISED:
        if key == METADATA:
            hi = max_metadata
        elif key == API_VERSIONS:
            hi = max_api_versions
        entries.append(i16(key) + i16(lo) + i16(hi) + no_tags(flexible))
    body = i16(0) + array(entries, flexible)
    if version >= 1:
        body += i32(0)  # throttle_time_ms
    body += no_tags(flexible)
    return body


def metadata_response(version, port, topic):
    """MetadataResponse body at `version` (0..12): this broker and one single-partition topic."""
    flexible = version >= 9
    body = b""
    if version >= 3:
        body += i32(0)  # throttle_time_ms
    broker = i32(BROKER_ID) + string("127.0.0.1", flexible) + i32(port)
    if version >= 1:
        broker += nullable_string(None, flexible)  # rack
    broker += no_tags(flexible)
    body += array([broker], flexible)
    if version >= 2:
        body += nullable_string(CLUSTER_ID, flexible)
    if version >= 1:
        body += i32(BROKER_ID)  # controller_id
    partition = i16(0) + i32(0) + i32(BROKER_ID)  # error, index, leader
    if version >= 7:
        partition += i32(0)  # leader_epoch
    partition += array([i32(BROKER_ID)], flexible)  # replicas
    partition += array([i32(BROKER_ID)], flexible)  # isr
    if version >= 5:
        partition += array([], flexible)  # offline replicas
    partition += no_tags(flexible)
    t = i16(0) + string(topic, flexible)
    if version >= 10:
        t += TOPIC_ID
    if version >= 1:
        t += i8(0)  # is_internal
    t += array([partition], flexible)
    if version >= 8:
        t += i32(-2147483648)  # topic_authorized_operations: not requested
    t += no_tags(flexible)
    body += array([t], flexible)
    if 8 <= version <= 10:
        body += i32(-2147483648)  # cluster_authorized_operations
    body += no_tags(flexible)
    return body


def produce_response(version, topic, partition):
    """ProduceResponse body at `version` (0..11): the batch was appended at offset 0."""
    flexible = version >= 9
    p = i32(partition) + i16(0) + i64(0)  # index, error, base_offset
    if version >= 2:
        p += i64(-1)  # log_append_time_ms: broker uses CreateTime
    if version >= 5:
        p += i64(0)  # log_start_offset
    if version >= 8:
        p += array([], flexible)  # record_errors
        p += nullable_string(None, flexible)  # error_message
    p += no_tags(flexible)
    t = string(topic, flexible) + array([p], flexible) + no_tags(flexible)
    body = array([t], flexible)
    if version >= 1:
        body += i32(0)  # throttle_time_ms
    body += no_tags(flexible)
    return body


def init_producer_id_response(version):
    """InitProducerIdResponse body at `version` (0..5): producer id 4242, epoch 0."""
    flexible = version >= 2
    return i32(0) + i16(0) + i64(4242) + i16(0) + no_tags(flexible)


def list_offsets_response(version, topic, partition):
    """ListOffsetsResponse body at `version` (0..5): offset 0 for whatever was asked."""
    body = b""
    if version >= 2:
        body += i32(0)  # throttle_time_ms
    p = i32(partition) + i16(0)
    if version == 0:
        p += array([i64(0)], False)  # old_style_offsets
    else:
        p += i64(-1) + i64(0)  # timestamp, offset
    if version >= 4:
        p += i32(0)  # leader_epoch
    body += array([string(topic, False) + array([p], False)], False)
    return body


def fetch_response(version, topic, partition):
    """FetchResponse body at `version` (0..11): an empty partition (high watermark 0)."""
    body = b""
    if version >= 1:
        body += i32(0)  # throttle_time_ms
    if version >= 7:
        body += i16(0) + i32(0)  # error_code, session_id
    p = i32(partition) + i16(0) + i64(0)  # index, error, high_watermark
    if version >= 4:
        p += i64(0)  # last_stable_offset
    if version >= 5:
        p += i64(0)  # log_start_offset
    if version >= 4:
        p += i32(-1)  # aborted_transactions: null
    if version >= 11:
        p += i32(-1)  # preferred_read_replica
    p += i32(0)  # records: empty
    body += array([string(topic, False) + array([p], False)], False)
    return body


def produce_acks(frame, flexible_header):
    """The `acks` of a Produce request frame (after its header and transactional id)."""
    pos = 8
    (client_id_len,) = struct.unpack(">h", frame[pos:pos + 2])
    pos += 2 + max(client_id_len, 0)
    if flexible_header:
        pos += 1  # empty tagged-field section (librdkafka sends none)
    (version,) = struct.unpack(">h", frame[2:4])
    if version >= 3:
        if version >= 9:
            n = frame[pos]  # compact nullable string; short ids fit in one varint byte
            pos += 1 + max(n - 1, 0)
        else:
            (n,) = struct.unpack(">h", frame[pos:pos + 2])
            pos += 2 + max(n, 0)
    (acks,) = struct.unpack(">h", frame[pos:pos + 2])
    return acks


# ---- server ------------------------------------------------------------------------------

class Capture:
    def __init__(self, out_dir, port, topic, max_metadata, max_api_versions):
        self.max_api_versions = max_api_versions
        self.out_dir = out_dir
        self.port = port
        self.topic = topic
        self.max_metadata = max_metadata
        self.lock = threading.Lock()
        self.seq = 0

    def save(self, key, version, frame):
        with self.lock:
            self.seq += 1
            name = "%02d_%s_v%d.bin" % (self.seq, API_NAMES.get(key, "Api%d" % key), version)
        path = os.path.join(self.out_dir, name)
        with open(path, "wb") as f:
            f.write(frame)
        print("saved %s (%d bytes)" % (path, len(frame)), file=sys.stderr)


def read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        cap = self.server.capture
        sock = self.request
        while True:
            size = read_exact(sock, 4)
            if size is None:
                return
            (length,) = struct.unpack(">i", size)
            if length < 8 or length > 100 * 1024 * 1024:
                print("bad frame length %d, closing" % length, file=sys.stderr)
                return
            frame = read_exact(sock, length)
            if frame is None:
                return
            key, version, correlation_id = struct.unpack(">hhi", frame[:8])
            cap.save(key, version, frame)
            if key == API_VERSIONS:
                # ApiVersionsResponse always uses response header v0 (correlation id only).
                resp = i32(correlation_id) + api_versions_response(version, cap.max_metadata, cap.max_api_versions)
            elif key == METADATA and version <= 12:
                flexible = version >= 9
                header = i32(correlation_id) + no_tags(flexible)  # header v1 when flexible
                resp = header + metadata_response(version, cap.port, cap.topic)
            elif key == PRODUCE and version <= 11:
                flexible = version >= 9
                if produce_acks(frame, flexible) == 0:
                    continue  # acks=0: the broker sends no response
                resp = i32(correlation_id) + no_tags(flexible) + produce_response(version, cap.topic, 0)
            elif key == INIT_PRODUCER_ID and version <= 5:
                flexible = version >= 2
                resp = i32(correlation_id) + no_tags(flexible) + init_producer_id_response(version)
            elif key == LIST_OFFSETS and version <= 5:
                resp = i32(correlation_id) + list_offsets_response(version, cap.topic, 0)
            elif key == FETCH and version <= 11:
                resp = i32(correlation_id) + fetch_response(version, cap.topic, 0)
            else:
                print("no answer for api %d v%d, closing" % (key, version), file=sys.stderr)
                return
            sock.sendall(i32(len(resp)) + resp)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, default=19092)
    p.add_argument("--out", required=True, help="directory for captured frames")
    p.add_argument("--topic", default="golden-topic")
    p.add_argument("--max-metadata-version", type=int, default=12)
    p.add_argument("--max-api-versions-version", type=int, default=API_VERSIONS_MAX,
                   help="advertise ApiVersions only up to this version (0..3); a lower value"
                        " makes the client retry ApiVersions at that version")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    server = Server(("127.0.0.1", args.port), Handler)
    server.capture = Capture(args.out, args.port, args.topic, args.max_metadata_version,
                             args.max_api_versions_version)
    print("listening on 127.0.0.1:%d" % args.port, file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

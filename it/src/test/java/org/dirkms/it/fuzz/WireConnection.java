package org.dirkms.it.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * One LDAP connection over TLS (LDAPS, or StartTLS on the plain port, RFC 4511 section 4.14)
 * that sends hand-encoded requests ({@link LdapRequests}) and reads the responses itself, with
 * a deadline for each request. Not thread-safe: each fuzz worker has its own.
 */
final class WireConnection implements Closeable {
    /** The largest message accepted from the server. */
    private static final int MAX_MESSAGE = 64 << 20;
    private static final String START_TLS = "1.3.6.1.4.1.1466.20037";
    private static final String NOTICE_OF_DISCONNECTION = "1.3.6.1.4.1.1466.20036";

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private int nextMessageId = 1;
    private boolean open = true;

    private WireConnection(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(new java.io.BufferedInputStream(socket.getInputStream(), 65536));
        this.out = new java.io.BufferedOutputStream(socket.getOutputStream(), 65536);
    }

    /** A connection to the LDAPS port. */
    static WireConnection ldaps(int port, SSLContext tls) throws IOException {
        SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        socket.setSoTimeout(10_000);
        socket.startHandshake();
        return new WireConnection(socket);
    }

    /** A connection to the plain port, protected with StartTLS before anything else is sent. */
    static WireConnection startTls(int port, SSLContext tls) throws IOException {
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        plain.setSoTimeout(10_000);
        WireConnection clear = new WireConnection(plain);
        LdapResponse response = clear.request(LdapRequests.extended(START_TLS), null, 10_000);
        if (response.code() != 0) {
            plain.close();
            throw new IOException("StartTLS refused: " + response.label() + " " + response.diagnostic());
        }
        SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket(plain, "127.0.0.1", port, true);
        socket.setUseClientMode(true);
        socket.startHandshake();
        WireConnection secured = new WireConnection(socket);
        secured.nextMessageId = clear.nextMessageId;
        return secured;
    }

    /** Binds; a null DN binds anonymously. */
    LdapResponse bind(String dn, String password) {
        return request(LdapRequests.bind(dn, password), null, 10_000);
    }

    boolean isOpen() {
        return open && !socket.isClosed();
    }

    /**
     * Sends {@code operation} (with optional encoded {@code controls}) and reads until its final
     * response, for at most {@code timeoutMillis}.
     */
    LdapResponse request(byte[] operation, byte[] controls, long timeoutMillis) {
        int id = nextMessageId++;
        try {
            out.write(LdapRequests.message(id, operation, controls));
            out.flush();
        } catch (IOException e) {
            open = false;
            return LdapResponse.missing(LdapResponse.CLOSED);
        }
        return await(id, timeoutMillis);
    }

    /**
     * Sends a whole LDAPMessage as given (it may be malformed) and reads the first response to
     * any message id, for at most {@code timeoutMillis}.
     */
    LdapResponse raw(byte[] message, long timeoutMillis) {
        nextMessageId++;
        try {
            out.write(message);
            out.flush();
        } catch (IOException e) {
            open = false;
            return LdapResponse.missing(LdapResponse.CLOSED);
        }
        return await(-1, timeoutMillis);
    }

    /** The message id the next request gets. */
    int nextMessageId() {
        return nextMessageId;
    }

    private LdapResponse await(int id, long timeoutMillis) {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        List<byte[]> messages = new ArrayList<>();
        int entries = 0;
        try {
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    return timedOut(messages, entries);
                }
                socket.setSoTimeout((int) Math.max(1, left));
                byte[] message = readMessage();
                messages.add(message);
                List<Ber.Tlv> parts = Ber.read(message, 0, message.length);
                if (parts.size() != 1 || parts.get(0).tag() != 0x30) {
                    open = false;
                    return LdapResponse.of(LdapResponse.CLOSED, "unreadable response", entries, messages, false);
                }
                List<Ber.Tlv> fields = parts.get(0).children();
                if (fields.size() < 2) {
                    open = false;
                    return LdapResponse.of(LdapResponse.CLOSED, "unreadable response", entries, messages, false);
                }
                long messageId = fields.get(0).integer();
                Ber.Tlv operation = fields.get(1);
                if (messageId == 0 && operation.tag() == 0x78) {
                    // RFC 4511 section 4.4.1: the server is about to close the connection.
                    open = false;
                    Result result = result(operation);
                    return LdapResponse.of(LdapResponse.CLOSED, result.diagnostic() + " (notice "
                            + (result.name().equals(NOTICE_OF_DISCONNECTION) ? "of disconnection" : result.name())
                            + ", code " + result.code() + ")", entries, messages, true);
                }
                if (id >= 0 && messageId != id) {
                    continue; // a late answer to an earlier request that timed out
                }
                switch (operation.tag()) {
                    case 0x64 -> entries++;
                    case 0x73, 0x79 -> {
                        // reference or intermediate response: not final
                    }
                    default -> {
                        Result result = result(operation);
                        return LdapResponse.of(result.code(), result.diagnostic(), entries, messages, false);
                    }
                }
            }
        } catch (SocketTimeoutException e) {
            return timedOut(messages, entries);
        } catch (IOException e) {
            open = false;
            return LdapResponse.of(LdapResponse.CLOSED, String.valueOf(e.getMessage()), entries, messages, false);
        }
    }

    private LdapResponse timedOut(List<byte[]> messages, int entries) {
        // The stream is mid-message or a late answer will come: this connection is spent.
        open = false;
        return LdapResponse.of(LdapResponse.TIMEOUT, "", entries, messages, false);
    }

    private record Result(int code, String diagnostic, String name) {
    }

    private static Result result(Ber.Tlv operation) {
        List<Ber.Tlv> fields = operation.children();
        int code = fields.isEmpty() ? -3 : (int) fields.get(0).integer();
        String diagnostic = fields.size() > 2 ? fields.get(2).text() : "";
        String name = "";
        for (Ber.Tlv field : fields) {
            if (field.tag() == 0x8a) {
                name = field.text();
            }
        }
        return new Result(code, diagnostic, name);
    }

    private byte[] readMessage() throws IOException {
        ByteArrayOutputStream header = new ByteArrayOutputStream(8);
        int tag = in.read();
        if (tag < 0) {
            throw new EOFException("the server closed the connection");
        }
        header.write(tag);
        int first = in.readUnsignedByte();
        header.write(first);
        long length = first;
        if (first >= 0x80) {
            int count = first & 0x7f;
            if (count == 0 || count > 4) {
                throw new IOException("unreadable length from the server");
            }
            length = 0;
            for (int i = 0; i < count; i++) {
                int octet = in.readUnsignedByte();
                header.write(octet);
                length = (length << 8) | octet;
            }
        }
        if (length > MAX_MESSAGE) {
            throw new IOException("a message of " + length + " octets from the server");
        }
        byte[] message = new byte[header.size() + (int) length];
        System.arraycopy(header.toByteArray(), 0, message, 0, header.size());
        in.readFully(message, header.size(), (int) length);
        return message;
    }

    /** Unbinds (best effort) and closes. */
    @Override
    public void close() {
        if (open) {
            try {
                out.write(LdapRequests.message(nextMessageId++, new byte[] {0x42, 0x00}, null));
                out.flush();
            } catch (IOException e) {
                // closing anyway
            }
        }
        open = false;
        try {
            socket.close();
        } catch (IOException e) {
            // nothing more to do
        }
    }
}

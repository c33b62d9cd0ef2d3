"""TLS for the Kafka security tests: a throwaway certificate authority, and a proxy that
terminates TLS (mutual: it asks for a client certificate from that authority) in front of a
plaintext broker. Tansu 0.6 accepts `--cert` but does not speak TLS on its listener, so the
TLS the clients see is this proxy's."""

import asyncio
import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Issued:
    certfile: Path
    keyfile: Path


class CertificateAuthority:
    def __init__(self, directory: Path, name: str = "Awardpath test CA") -> None:
        self.directory = directory
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        certificate = self._builder(self._name, self._key.public_key()).add_extension(
            x509.BasicConstraints(ca=True, path_length=None), critical=True
        )
        self.cafile = directory / f"{name.replace(' ', '-')}.pem"
        self.cafile.write_bytes(certificate.sign(self._key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))

    def issue(self, name: str, ip_address: str | None = None) -> Issued:
        """A certificate and its key for `name` (and, for a server, its IP address)."""
        key = ec.generate_private_key(ec.SECP256R1())
        builder = self._builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]), key.public_key())
        if ip_address:
            names = [x509.IPAddress(ipaddress.ip_address(ip_address)), x509.DNSName("localhost")]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        issued = Issued(self.directory / f"{name}.pem", self.directory / f"{name}.key")
        issued.certfile.write_bytes(builder.sign(self._key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
        issued.keyfile.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        return issued

    def _builder(self, subject: x509.Name, public_key: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
        now = datetime.datetime.now(datetime.UTC)
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self._name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
        )


class TlsProxy:
    """Listens on 127.0.0.1:`port` with TLS (client certificates from `authority` required)
    and forwards each connection's bytes to 127.0.0.1:`upstream_port`."""

    def __init__(self, authority: CertificateAuthority, port: int, upstream_port: int) -> None:
        server = authority.issue("broker", ip_address="127.0.0.1")
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=authority.cafile)
        self._context.load_cert_chain(server.certfile, server.keyfile)
        self._context.verify_mode = ssl.CERT_REQUIRED
        self.port = port
        self._upstream_port = upstream_port
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port, ssl=self._context)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for pipe in self._pipes:
            pipe.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    async def _forward(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self._upstream_port)
        pipes = [
            asyncio.create_task(_pipe(client_reader, upstream_writer)),
            asyncio.create_task(_pipe(upstream_reader, client_writer)),
        ]
        self._pipes.update(pipes)
        await asyncio.gather(*pipes, return_exceptions=True)
        self._pipes.difference_update(pipes)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass  # the other side went away
    finally:
        writer.close()

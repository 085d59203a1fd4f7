/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* sockhog tcp|udp N: hold memory in socket buffers, the way threat model
 * row M4 does, and print "queued=BYTES socks=N".  The bytes are freed when
 * it exits.  Exit 0, or 1 with a reason on stderr.
 *   tcp: listens on 127.0.0.1 (a port the kernel picks), makes N
 *        connections to itself, accepts them and never reads; writes to
 *        each, without blocking, until none takes more.  Queued: what the
 *        writes took (in the senders' and the receivers' buffers).
 *   udp: N sockets on 127.0.0.1 that never read, and 3000 one-byte
 *        datagrams to each.  Queued: the receive queues of the caller's
 *        UDP sockets as /proc/net/udp counts them (each datagram's whole
 *        buffer, not its one byte). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdbool.h>

#define SOCKS_MAX 512
#define CAP (2ULL << 30)	/* never more than 2 GiB, whatever the kernel lets */

static int die(const char *what)
{
	fprintf(stderr, "sockhog: %s: %s\n", what, strerror(errno));
	return 1;
}

static struct sockaddr_in loopback(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* One round over every connection: what it took. */
static unsigned long long fill_round(const int *fds, int n, unsigned long long *total)
{
	static char chunk[65536];
	unsigned long long took = 0;
	int i;

	for (i = 0; i < n && *total < CAP; i++) {
		ssize_t w;

		while (*total < CAP && (w = send(fds[i], chunk, sizeof(chunk), MSG_DONTWAIT)) > 0) {
			took += (unsigned long long)w;
			*total += (unsigned long long)w;
		}
	}
	return took;
}

static int tcp_hog(int n)
{
	struct sockaddr_in a = loopback();
	socklen_t alen = sizeof(a);
	int lfd, i, idle = 0, clients[SOCKS_MAX], peers[SOCKS_MAX];
	unsigned long long total = 0;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, n) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen) < 0)
		return die("listen");
	for (i = 0; i < n; i++) {
		clients[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (clients[i] < 0 || connect(clients[i], (struct sockaddr *)&a, sizeof(a)) < 0)
			return die("connect");
		peers[i] = accept(lfd, NULL, NULL);
		if (peers[i] < 0)
			return die("accept");
	}
	/* Autotuning grows the buffers as they fill: go on until two rounds
	 * in a row took nothing, with a pause for the receivers to grow. */
	while (idle < 2 && total < CAP) {
		if (fill_round(clients, n, &total) == 0)
			idle++;
		else
			idle = 0;
		usleep(20000);
	}
	printf("queued=%llu socks=%d\n", total, n);
	return 0;
}

/* The rx_queue column (hex) of /proc/net/udp, summed over our uid's lines. */
static unsigned long long udp_queued(void)
{
	FILE *f = fopen("/proc/net/udp", "r");
	unsigned long long total = 0, rx;
	unsigned int uid;
	char line[512];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %*d: %*x:%*x %*x:%*x %*x %*x:%llx %*x:%*x %*x %u", &rx, &uid) == 2 &&
		    uid == (unsigned int)getuid())
			total += rx;
	fclose(f);
	return total;
}

static int udp_hog(int n)
{
	struct sockaddr_in a[SOCKS_MAX];
	int i, r, s = socket(AF_INET, SOCK_DGRAM, 0), fd;
	char byte = 0;

	if (s < 0)
		return die("socket");
	for (i = 0; i < n; i++) {
		socklen_t alen = sizeof(a[i]);

		a[i] = loopback();
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&a[i], sizeof(a[i])) < 0 ||
		    getsockname(fd, (struct sockaddr *)&a[i], &alen) < 0)
			return die("bind");
	}
	for (r = 0; r < 3000; r++)
		for (i = 0; i < n; i++)
			sendto(s, &byte, 1, MSG_DONTWAIT, (struct sockaddr *)&a[i], sizeof(a[i]));
	printf("queued=%llu socks=%d\n", udp_queued(), n);
	return 0;
}

int main(int argc, char **argv)
{
	int n = argc == 3 ? atoi(argv[2]) : 0, ret;
	bool tcp = argc == 3 && strcmp(argv[1], "tcp") == 0;

	if (n < 1 || n > SOCKS_MAX || (!tcp && strcmp(argv[1], "udp") != 0)) {
		fprintf(stderr, "usage: sockhog tcp|udp N (1-%d)\n", SOCKS_MAX);
		return 2;
	}
	ret = tcp ? tcp_hog(n) : udp_hog(n);
	fflush(stdout);
	return ret;
}

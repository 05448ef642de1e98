# The etcd gateway codec of xlbd against live members: a helper that
# etcd_gateway.sh starts with the members URL, kept out of
# $(BUILD)/tests/cluster/ (tests/run.sh runs what is there without args).
ETCD_GW_TEST := $(BUILD)/tests/helpers/etcd_gateway_test

$(ETCD_GW_TEST): tests/cluster/etcd_gateway_test.c $(BUILD)/user/xlbd/cluster_etcd.o
	@mkdir -p $(@D)
	$(CC) $(XLBD_CFLAGS) $< $(BUILD)/user/xlbd/cluster_etcd.o -ljson-c -lcurl -lcrypto -o $@

TEST_BINS += $(ETCD_GW_TEST)

-include $(ETCD_GW_TEST).d

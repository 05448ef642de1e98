# The etcd gateway codec of xlbd against live members (etcd_gateway.sh).
ETCD_GW_TEST := $(BUILD)/tests/cluster/etcd_gateway_test

$(ETCD_GW_TEST): tests/cluster/etcd_gateway_test.c $(BUILD)/user/xlbd/cluster_etcd.o
	@mkdir -p $(@D)
	$(CC) $(XLBD_CFLAGS) $< $(BUILD)/user/xlbd/cluster_etcd.o -ljson-c -lcurl -lcrypto -o $@

TEST_BINS += $(ETCD_GW_TEST)

-include $(ETCD_GW_TEST).d

// Texts of the driver page in Chinese (default) and English.
window.DRIVER_TEXT = {
  zh: {
    pickup: "接机/接站", departure: "送机/送站", online: "在线", offline: "离线",
    assigned: "待接受", accepted: "已接受", at_pickup: "已到达接客点", departed: "已出发",
    dropped_off: "已送达", cancelled: "已取消", planned: "已计划",
    waiting: "等待中", on_board: "已上车", no_show: "未到", venue: "峰会会场",
    accept: "接受任务", arrive: "到达接客点", depart: "出发", drop_off: "送达",
    board_code: "核验入场码", board_face: "拍照核验", no_show_btn: "未到",
    code_ph: "入场码", version: "版本", changed: "任务已更新", new_trip: "新任务",
    flight: "航班/车次", meet: "接客点", hotel: "目的地", vehicle: "车辆", bad_token: "令牌无效，请重新登录",
  },
  en: {
    pickup: "Pickup", departure: "Departure", online: "online", offline: "offline",
    assigned: "to accept", accepted: "accepted", at_pickup: "at pickup point", departed: "departed",
    dropped_off: "dropped off", cancelled: "cancelled", planned: "planned",
    waiting: "waiting", on_board: "on board", no_show: "no-show", venue: "Summit venue",
    accept: "Accept", arrive: "At pickup point", depart: "Depart", drop_off: "Dropped off",
    board_code: "Check code", board_face: "Check face", no_show_btn: "No-show",
    code_ph: "entrance code", version: "v", changed: "Trip updated", new_trip: "New trip",
    flight: "Flight/train", meet: "Meet at", hotel: "To", vehicle: "Vehicle", bad_token: "Token refused; sign in again",
  },
};

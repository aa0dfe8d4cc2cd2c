# E6: vector inputs and non-scalar outputs (d2l: automatic differentiation)
import torch

x = torch.arange(4.0)
print(x)

x.requires_grad_(True)  # 等价于x=torch.arange(4.0,requires_grad=True)
print(x.grad)

y = 2 * torch.dot(x, x)
print(y)

y.backward()
print(x.grad)
print(x.grad == 4 * x)

# 在默认情况下,PyTorch会累积梯度,我们需要清除之前的值
x.grad.zero_()
y = x.sum()
print(x, y)
y.backward()
print(x.grad)

x.grad.zero_()
y = x * x
print(x, y)
# 等价于y.backward(torch.ones(len(x)))
y.sum().backward()
print(x.grad)
